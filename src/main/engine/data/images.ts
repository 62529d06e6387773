/**
 * Image files for importers and forget sets: PNG (pngjs) and JPEG (jpeg-js) decoded to
 * uint8 HWC pixels, channel conversion, bilinear resizing, and a folder walk that never
 * leaves the folders the user gave (a symbolic link pointing outside is refused).
 */
import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InvalidRequestError } from '../../../shared/validation.js';
import { MIB, readFileBounded } from './bounded-read.js';

export interface DecodedImage {
  height: number;
  width: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** RGBA to gray when every pixel is gray and opaque, else to RGB. */
function fromRgba(rgba: Uint8Array, width: number, height: number): DecodedImage {
  const n = width * height;
  let gray = true;
  for (let i = 0; i < n && gray; i++) {
    const r = rgba[4 * i]!;
    gray = r === rgba[4 * i + 1] && r === rgba[4 * i + 2];
  }
  const channels = gray ? 1 : 3;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < channels; k++) data[i * channels + k] = rgba[4 * i + k]!;
  }
  return { height, width, channels, data };
}

/** One image file is read whole: at most this many bytes. */
const MAX_IMAGE_FILE_BYTES = 256 * MIB;
/** Decoding holds RGBA: at most 2^26 pixels (8192 x 8192, 256 MiB), as jpeg-js is allowed 512 MiB. */
const MAX_IMAGE_PIXELS = 1 << 26;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function checkSize(file: string, kind: string, width: number, height: number): void {
  if (width === 0 || height === 0) throw new InvalidRequestError(`${file}: the ${kind} header says ${width}x${height} pixels; an image needs at least 1x1`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new InvalidRequestError(`${file}: the ${kind} header says ${width}x${height} pixels, more than the ${MAX_IMAGE_PIXELS}-pixel limit for one image`);
  }
}

/** Walks the PNG chunks: a file cut short or a header claiming a huge or empty image is refused before decoding. */
function checkPngStructure(file: string, bytes: Buffer): void {
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const end = at + 12 + length;
    const first = at === PNG_SIGNATURE.length;
    if (first && (type !== 'IHDR' || length !== 13)) throw new InvalidRequestError(`${file}: not a valid PNG: the first chunk is ${JSON.stringify(type)}, expected the 13-byte IHDR`);
    if (end > bytes.length) throw new InvalidRequestError(`${file}: truncated PNG: chunk ${JSON.stringify(type)} at byte ${at} needs ${end} bytes, the file has ${bytes.length}`);
    if (first) checkSize(file, 'PNG', bytes.readUInt32BE(at + 8), bytes.readUInt32BE(at + 12));
    if (type === 'IEND') return;
    at = end;
  }
  throw new InvalidRequestError(`${file}: truncated PNG: the file ends at byte ${bytes.length} before the IEND chunk`);
}

/** Walks the JPEG segments up to the scan: a cut-short file or a huge or empty frame is refused before decoding. */
function checkJpegStructure(file: string, bytes: Buffer): void {
  const truncated = () => new InvalidRequestError(`${file}: truncated JPEG: the file ends at byte ${bytes.length} before the end-of-image marker`);
  let at = 2;
  let frame = false;
  for (;;) {
    while (at < bytes.length && bytes[at] === 0xff && bytes[at + 1] === 0xff) at += 1;
    if (at + 4 > bytes.length) throw truncated();
    if (bytes[at] !== 0xff) throw new InvalidRequestError(`${file}: not a valid JPEG: no marker at byte ${at}`);
    const marker = bytes[at + 1]!;
    const length = bytes.readUInt16BE(at + 2);
    if (at + 2 + length > bytes.length) throw truncated();
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      checkSize(file, 'JPEG', bytes.readUInt16BE(at + 7), bytes.readUInt16BE(at + 5));
      frame = true;
    }
    if (marker === 0xda) break;
    at += 2 + length;
  }
  if (!frame) throw new InvalidRequestError(`${file}: not a valid JPEG: no frame header before the image data`);
  if (bytes.indexOf(Buffer.from([0xff, 0xd9]), at) < 0) throw truncated();
}

export function decodeImage(file: string): DecodedImage {
  const bytes = readFileBounded(file, MAX_IMAGE_FILE_BYTES, 'an image file');
  let format: 'PNG' | 'JPEG';
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) format = 'PNG';
  else if (bytes[0] === 0xff && bytes[1] === 0xd8) format = 'JPEG';
  else throw new InvalidRequestError(`${file} does not decode as an image: it is neither PNG nor JPEG`);
  if (format === 'PNG') checkPngStructure(file, bytes);
  else checkJpegStructure(file, bytes);
  try {
    if (format === 'PNG') {
      const png = PNG.sync.read(bytes);
      return fromRgba(png.data, png.width, png.height);
    }
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    return fromRgba(image.data, image.width, image.height);
  } catch (error) {
    throw new InvalidRequestError(`${file} does not decode as a ${format} image: ${(error as Error).message}`);
  }
}

/** The same image with `channels` channels (gray <-> RGB; RGB to gray by ITU-R BT.601 luma). */
export function toChannels(image: DecodedImage, channels: 1 | 3): DecodedImage {
  if (image.channels === channels) return image;
  const n = image.height * image.width;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    if (channels === 3) data.fill(image.data[i]!, 3 * i, 3 * i + 3);
    else data[i] = Math.round(0.299 * image.data[3 * i]! + 0.587 * image.data[3 * i + 1]! + 0.114 * image.data[3 * i + 2]!);
  }
  return { ...image, channels, data };
}

/** Bilinear resize with half-pixel centres (as most imaging libraries do). */
export function resizeBilinear(image: DecodedImage, height: number, width: number): DecodedImage {
  if (image.height === height && image.width === width) return image;
  const { channels: c } = image;
  const data = new Uint8Array(height * width * c);
  const sy = image.height / height;
  const sx = image.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), image.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), image.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const wx = fx - x0;
      for (let k = 0; k < c; k++) {
        const at = (yy: number, xx: number) => image.data[(yy * image.width + xx) * c + k]!;
        const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
        const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
        data[(y * width + x) * c + k] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return { height, width, channels: c, data };
}

/**
 * The files under the given paths (a file stands for itself, a folder for every file in
 * it, recursively, in sorted order). Anything reached through a folder must resolve to
 * a place inside that folder: a symbolic link pointing elsewhere is an error.
 */
export function listFiles(paths: string[], accept: (file: string) => boolean): string[] {
  const files: string[] = [];
  for (const given of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch (error) {
      throw new InvalidRequestError(`cannot read ${given}: ${(error as Error).message}`);
    }
    if (!stat.isDirectory()) {
      files.push(path.resolve(given));
      continue;
    }
    const root = fs.realpathSync(given);
    const walk = (dir: string) => {
      for (const name of fs.readdirSync(dir).sort()) {
        const entry = path.join(dir, name);
        const real = fs.realpathSync(entry);
        if (real !== root && !real.startsWith(root + path.sep)) {
          throw new InvalidRequestError(`${entry} leads outside ${given} (to ${real}); refusing to follow it`);
        }
        if (fs.statSync(real).isDirectory()) walk(entry);
        else if (accept(entry)) files.push(entry);
      }
    };
    walk(root);
  }
  return files;
}
