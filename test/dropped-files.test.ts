/** What the window makes of dropped files, from their names and a CSV's first line. */
import { describe, expect, it } from 'vitest';
import { classifyDrop, describeDrag, type DroppedEntry } from '../src/shared/dropped-files.js';

const file = (name: string, firstLine?: string): DroppedEntry => ({ name, isDirectory: false, firstLine });
const kindOf = (...entries: DroppedEntry[]) => classifyDrop(entries).kind;

describe('dropped files', () => {
  it('tells datasets from index lists and images', () => {
    expect(kindOf({ name: 'cifar-10-batches-bin', isDirectory: true })).toBe('import');
    expect(kindOf(file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte'))).toBe('import');
    expect(kindOf(file('t10k-images-idx3-ubyte.gz'))).toBe('import');
    expect(kindOf(file('data_batch_1.bin'))).toBe('import');
    expect(kindOf(file('table.csv', 'f1,f2,f3,label'))).toBe('import');
    expect(kindOf(file('list.csv', 'index'))).toBe('forget-list');
    expect(kindOf(file('list.csv', '17'))).toBe('forget-list');
    expect(kindOf(file('wide.csv', 'name,sample_id,score'))).toBe('forget-list');
    expect(kindOf(file('set.json'))).toBe('forget-list');
    expect(kindOf(file('ids.txt'))).toBe('forget-list');
    expect(kindOf(file('a.png'), file('b.JPG'), file('c.jpeg'))).toBe('forget-images');
  });

  it('refuses what it cannot act on, naming the files', () => {
    expect(classifyDrop([file('notes.docx')])).toEqual({
      kind: 'unsupported',
      error: 'notes.docx: not a dataset (IDX files, CIFAR .bin batches, a CSV table, a folder) nor a forget list (CSV, JSON or text index list, PNG or JPEG images)',
    });
    expect(classifyDrop([file('a.png'), file('list.csv', 'index')])).toEqual({ kind: 'unsupported', error: 'a.png, list.csv: drop either images or other files, not both' });
    expect(classifyDrop([{ name: 'a', isDirectory: true }, { name: 'b', isDirectory: true }])).toEqual({ kind: 'unsupported', error: 'a, b: drop one folder at a time' });
    expect(kindOf(file('one.json'), file('two.json'))).toBe('unsupported');
    expect(kindOf()).toBe('unsupported');
  });

  it('says before the drop what it will do, from the MIME types', () => {
    expect(describeDrag(['image/png', 'image/jpeg'])).toBe('Drop images to forget the samples they show');
    expect(describeDrag(['text/csv'])).toMatch(/^Drop an index list/);
    expect(describeDrag([''])).toMatch(/^Drop dataset files or a folder/);
  });
});
