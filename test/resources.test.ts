/**
 * The app icon: the PNG sizes the window and a Linux desktop entry use, rendered from
 * resources/icon.svg by scripts/render-icons.sh and committed, so a build needs no renderer.
 */
import fs from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

const read = (file: string) => PNG.sync.read(fs.readFileSync(file));

describe('app icon', () => {
  it('has every hicolor size from 16 to 512, square, with transparent corners and an opaque tile', () => {
    for (const size of [16, 22, 24, 32, 48, 64, 128, 256, 512]) {
      const png = read(`resources/icons/${size}x${size}.png`);
      expect([png.width, png.height], `${size}x${size}`).toEqual([size, size]);
      const alpha = (x: number, y: number) => png.data[(y * size + x) * 4 + 3]!;
      expect(alpha(0, 0), `${size}: corner`).toBe(0);
      expect(alpha(size >> 1, size >> 1), `${size}: centre`).toBe(255);
    }
  });

  it('gives the window the 512-pixel rendering of the SVG', () => {
    expect(fs.readFileSync('resources/icon.png').equals(fs.readFileSync('resources/icons/512x512.png'))).toBe(true);
    expect(fs.readFileSync('resources/icon.svg', 'utf8')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="512" height="512"/);
    expect(fs.readFileSync('src/main/index.ts', 'utf8')).toMatch(/import icon from '..\/..\/resources\/icon.png\?asset';[\s\S]*new BrowserWindow\(\{[^}]*\bicon,/);
  });
});
