/**
 * What files dropped on the window are, from their names (and a CSV's first line): a
 * dataset to import, or images or an index list to make a forget set from.
 */

export interface DroppedEntry {
  name: string;
  isDirectory: boolean;
  /** A CSV file's first line, which tells an index list from a table. */
  firstLine?: string;
}

export type DropKind = 'import' | 'forget-images' | 'forget-list';

/** `description` says what will happen; the page names the files next to it. */
export type DropVerdict = { kind: DropKind; description: string } | { kind: 'unsupported'; error: string };

const IMAGE = /\.(png|jpe?g)$/i;
const INDEX_LIST = /\.(json|txt)$/i;
const IDX = /(-ubyte|\.idx\d?)(\.gz)?$/i;
const CIFAR = /\.bin$/i;
const INDEX_COLUMN = /^(index|indices|id|ids|sample|sample_id|idx)$/i;

/** A one-column CSV, or one with an index column, is an index list; a wider one is a table to import. */
function isIndexListCsv(firstLine: string | undefined): boolean {
  const cells = (firstLine ?? '').split(',').map((c) => c.trim());
  return cells.length <= 1 || cells.some((c) => INDEX_COLUMN.test(c));
}

export function classifyDrop(entries: readonly DroppedEntry[]): DropVerdict {
  const names = entries.map((e) => e.name).join(', ');
  if (entries.length === 0) return { kind: 'unsupported', error: 'nothing was dropped (drop files or a folder)' };
  if (entries.some((e) => e.isDirectory)) {
    return entries.length === 1
      ? { kind: 'import', description: 'import a folder as a dataset (IDX, CIFAR batches or class folders of images)' }
      : { kind: 'unsupported', error: `${names}: drop one folder at a time` };
  }
  if (entries.every((e) => IMAGE.test(e.name))) return { kind: 'forget-images', description: `forget the samples that ${entries.length === 1 ? 'this image shows' : `these ${entries.length} images show`}` };
  if (entries.some((e) => IMAGE.test(e.name))) return { kind: 'unsupported', error: `${names}: drop either images or other files, not both` };
  if (entries.every((e) => IDX.test(e.name) || CIFAR.test(e.name))) return { kind: 'import', description: 'import these files as a dataset' };
  if (entries.length === 1) {
    const [entry] = entries as [DroppedEntry];
    if (INDEX_LIST.test(entry.name)) return { kind: 'forget-list', description: 'forget the samples this index list names' };
    if (/\.csv$/i.test(entry.name)) {
      return isIndexListCsv(entry.firstLine)
        ? { kind: 'forget-list', description: 'forget the samples this index list names' }
        : { kind: 'import', description: 'import this table as a dataset' };
    }
  }
  return {
    kind: 'unsupported',
    error: `${names}: not a dataset (IDX files, CIFAR .bin batches, a CSV table, a folder) nor a forget list (CSV, JSON or text index list, PNG or JPEG images)`,
  };
}

/** What a drag over the window will do, from the MIME types the browser shows before the drop. */
export function describeDrag(types: readonly string[]): string {
  if (types.length > 0 && types.every((t) => t.startsWith('image/'))) return 'Drop images to forget the samples they show';
  if (types.length === 1 && /^(text\/(csv|plain)|application\/json)$/.test(types[0]!)) return 'Drop an index list to make a forget set (a CSV table is offered for import)';
  return 'Drop dataset files or a folder to import them, or an index list or images to make a forget set';
}
