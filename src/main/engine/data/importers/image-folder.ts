/**
 * An image folder in the ImageFolder convention: one subfolder per class (sorted by
 * name), PNG or JPEG files inside. Every image must have the size of the first one,
 * unless resizing was asked for (bilinear, to the first image's size or a given one);
 * gray and colour images are brought to the first image's channels.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage, isImageFile, listFiles, resizeBilinear, toChannels } from '../images.js';
import { checkClassCount, checkDatasetBytes, ImportError, type ImportedData, type ImportProgress } from './imported-data.js';

export interface ImageFolderOptions {
  /** 'refuse' (default): differing sizes are an error; 'resize': bring all to one size. */
  shapes?: 'refuse' | 'resize';
  size?: [number, number];
}

export async function importImageFolder(root: string, progress: ImportProgress, options: ImageFolderOptions = {}): Promise<ImportedData> {
  const classDirs = fs
    .readdirSync(root)
    .sort()
    .map((name) => path.join(root, name))
    .filter((p) => fs.statSync(p).isDirectory());
  if (classDirs.length === 0) throw new ImportError(`${root}: no class subfolders (expected ${root}/<class>/<image>.png)`);
  const perClass = classDirs.map((dir) => {
    const files = listFiles([dir], isImageFile);
    if (files.length === 0) throw new ImportError(`${dir}: the class folder is empty (no PNG or JPEG image)`);
    return files;
  });
  checkClassCount(classDirs.length, root);
  const total = perClass.reduce((n, f) => n + f.length, 0);
  let target: { height: number; width: number; channels: 1 | 3 } | undefined = options.size
    ? { height: options.size[0], width: options.size[1], channels: 1 }
    : undefined;
  let pixels: Uint8Array | undefined;
  const labels = new Uint8Array(total);
  let n = 0;
  for (const [label, files] of perClass.entries()) {
    for (const file of files) {
      let image = decodeImage(file);
      if (n === 0) target = { height: target?.height ?? image.height, width: target?.width ?? image.width, channels: image.channels };
      const t = target!;
      image = toChannels(image, t.channels);
      if (image.height !== t.height || image.width !== t.width) {
        if (options.shapes !== 'resize') {
          throw new ImportError(`${file} is ${image.height}x${image.width}, the first image is ${t.height}x${t.width}; import with resizing to bring all to one size`);
        }
        image = resizeBilinear(image, t.height, t.width);
      }
      if (!pixels) {
        checkDatasetBytes(total * (t.height * t.width * t.channels + 1), root);
        pixels = new Uint8Array(total * t.height * t.width * t.channels);
      }
      pixels.set(image.data, n * image.data.length);
      labels[n++] = label;
      if (n % 500 === 0 || n === total) progress(n, total, 'decoding images');
    }
  }
  return {
    height: target!.height,
    width: target!.width,
    channels: target!.channels,
    dtype: 'uint8',
    classNames: classDirs.map((d) => path.basename(d)),
    pixels: pixels!,
    labels,
    testCount: 0,
  };
}
