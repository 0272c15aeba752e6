import type Sharp from 'sharp';
import { InputError } from '@aikd/core';
import type { RawImage } from './types.ts';

let loaded: Promise<typeof Sharp> | undefined;
/** sharp (libvips), loaded and set up on first use: not at import, which would cost every command that never
 * touches an image its start-up time and change global state. One libvips thread per call keeps decoding
 * predictable next to the tensor work on small machines. */
export function vips(): Promise<typeof Sharp> {
  return (loaded ??= import('sharp').then(({ default: sharp }) => {
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  }));
}

/** Decode JPEG/PNG/WebP/TIFF/BMP… bytes to interleaved 8-bit RGB (alpha dropped, EXIF rotation not applied). */
export async function decodeImage(bytes: Uint8Array, what = 'image'): Promise<RawImage> {
  try {
    const { data, info } = await (await vips())(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    throw new InputError({ file: what, expected: 'a decodable image (JPEG, PNG, WebP, TIFF, BMP)', got: (e as Error).message.split('\n')[0] });
  }
}

/** Encode RGB pixels as PNG (lossless). */
export async function encodePng(img: RawImage): Promise<Uint8Array> {
  const buf = await (await vips())(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Encode RGB pixels as JPEG at the given quality (1–100). */
export async function encodeJpeg(img: RawImage, quality = 90): Promise<Uint8Array> {
  const buf = await (await vips())(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
