/**
 * vega-lite spec → SVG (vega's headless `toSVG`) or PNG (the SVG drawn by @napi-rs/canvas at 2× scale).
 */
import { extname } from 'node:path';
import { AikdError, writeFileAtomic } from '@aikd/core';
import type { TopLevelSpec } from 'vega-lite';

export async function chartToSvg(spec: TopLevelSpec): Promise<string> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { createCanvas, Image } = await import('@napi-rs/canvas');
  const w = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? 600);
  const h = Number(/<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1] ?? 400);
  const img = new Image();
  img.src = Buffer.from(svg);
  const canvas = createCanvas(Math.ceil(w * scale), Math.ceil(h * scale));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(img, 0, 0, w * scale, h * scale);
  return canvas.toBuffer('image/png');
}

/** Write the chart to `file` (.svg or .png), atomically. */
export async function writeChart(spec: TopLevelSpec, file: string): Promise<void> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new AikdError(`--plot ${file}: expected a file name ending in .svg or .png`);
  const svg = await chartToSvg(spec);
  writeFileAtomic(file, ext === '.svg' ? svg : await svgToPng(svg));
}
