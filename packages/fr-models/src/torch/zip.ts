/**
 * The table of contents of a zip archive as `torch.save` writes it (PyTorch's own writer: every member stored,
 * uncompressed, 64-byte aligned; zip64 records for large archives), read from the central directory at the end of
 * the file. Only where each member's bytes are is read here; the bytes themselves are read later, member by member.
 */
import { InputError } from '@aikd/core';
import type { ByteSource } from '@aikd/datasets';

export interface ZipMember {
  name: string;
  /** Byte offset of the member's data in the archive file. */
  offset: number;
  size: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function readAt(src: ByteSource, position: number, length: number, file: string, what: string): DataView {
  const buf = new Uint8Array(length);
  if (position < 0 || position + length > src.size || src.read(buf, position, length) < length)
    throw new InputError({ file, where: `byte offset ${position}`, expected: `${what} (${length} bytes)`, got: `end of file at byte ${src.size}: the archive is truncated` });
  return new DataView(buf.buffer);
}

const u64 = (v: DataView, at: number) => {
  const n = v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;
  return n;
};

/** The members of a zip archive, by name. Refuses compressed members (PyTorch never writes them). */
export function zipMembers(src: ByteSource, file: string): Map<string, ZipMember> {
  // end of central directory: 22 bytes + a comment of up to 65535 bytes, at the very end
  const tail = Math.min(src.size, 22 + 0xffff);
  const end = readAt(src, src.size - tail, tail, file, 'the end of a zip archive');
  let eocd = -1;
  for (let i = tail - 22; i >= 0; i--) {
    if (end.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new InputError({ file, expected: 'a zip archive (its end-of-central-directory record)', got: 'no such record: the file is truncated or not a zip' });
  let count = end.getUint16(eocd + 10, true);
  let cdSize = end.getUint32(eocd + 12, true);
  let cdOffset = end.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = src.size - tail + eocd - 20;
    const loc = readAt(src, locAt, 20, file, 'a zip64 end-of-central-directory locator');
    if (loc.getUint32(0, true) !== ZIP64_LOCATOR) throw new InputError({ file, where: `byte offset ${locAt}`, expected: 'a zip64 end-of-central-directory locator', got: 'other bytes' });
    const recAt = u64(loc, 8);
    const rec = readAt(src, recAt, 56, file, 'a zip64 end-of-central-directory record');
    if (rec.getUint32(0, true) !== ZIP64_EOCD) throw new InputError({ file, where: `byte offset ${recAt}`, expected: 'a zip64 end-of-central-directory record', got: 'other bytes' });
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  const cd = readAt(src, cdOffset, cdSize, file, 'the zip central directory');
  const members = new Map<string, ZipMember>();
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdSize || cd.getUint32(p, true) !== CENTRAL)
      throw new InputError({ file, where: `byte offset ${cdOffset + p}`, expected: `central directory entry ${k + 1} of ${count}`, got: 'other bytes' });
    const method = cd.getUint16(p + 10, true);
    let size = cd.getUint32(p + 24, true);
    const nameLen = cd.getUint16(p + 28, true);
    const extraLen = cd.getUint16(p + 30, true);
    const commentLen = cd.getUint16(p + 32, true);
    let local = cd.getUint32(p + 42, true);
    const name = new TextDecoder().decode(new Uint8Array(cd.buffer, p + 46, nameLen));
    // zip64 extended information: the 64-bit values of the fields that hold 0xffffffff, in this order
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = cd.getUint16(e, true);
      const len = cd.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(cd, q)), (q += 8);
        if (cd.getUint32(p + 20, true) === 0xffffffff) q += 8; // compressed size (equal for stored members)
        if (local === 0xffffffff) local = u64(cd, q);
      }
      e += 4 + len;
    }
    if (method !== 0)
      throw new InputError({ file, where: `zip member ${name}`, expected: 'a stored (uncompressed) member, as torch.save writes them', got: `compression method ${method}: re-save the file with torch.save` });
    const lh = readAt(src, local, 30, file, `the local header of zip member ${name}`);
    if (lh.getUint32(0, true) !== LOCAL) throw new InputError({ file, where: `byte offset ${local}`, expected: `the local header of zip member ${name}`, got: 'other bytes' });
    const offset = local + 30 + lh.getUint16(26, true) + lh.getUint16(28, true);
    if (offset + size > src.size)
      throw new InputError({ file, where: `zip member ${name}`, expected: `${size} bytes from byte ${offset}`, got: `end of file at byte ${src.size}: the archive is truncated` });
    members.set(name, { name, offset, size });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}
