/**
 * Image files for importers and forget sets: PNG (pngjs) and JPEG (jpeg-js) decoded to
 * uint8 HWC pixels, channel conversion, bilinear resizing, and a folder walk that never
 * leaves the folders the user gave (a symbolic link pointing outside is refused).
 */
import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

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

export function decodeImage(file: string): DecodedImage {
  const bytes = fs.readFileSync(file);
  try {
    if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
      const png = PNG.sync.read(bytes);
      return fromRgba(png.data, png.width, png.height);
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
      return fromRgba(image.data, image.width, image.height);
    }
  } catch (error) {
    throw new Error(`${file} does not decode as an image: ${(error as Error).message}`);
  }
  throw new Error(`${file} does not decode as an image: it is neither PNG nor JPEG`);
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
      throw new Error(`cannot read ${given}: ${(error as Error).message}`);
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
          throw new Error(`${entry} leads outside ${given} (to ${real}); refusing to follow it`);
        }
        if (fs.statSync(real).isDirectory()) walk(entry);
        else if (accept(entry)) files.push(entry);
      }
    };
    walk(root);
  }
  return files;
}
