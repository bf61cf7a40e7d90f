'use strict';
// Reads a zip archive from its central directory (enough to check a .vsix): entry names, and
// each entry's bytes (stored or deflated).
const zlib = require('zlib');

function centralDirectory(buf) {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file: no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localHeader = buf.readUInt32LE(p + 42);
    const name = decodeURIComponent(buf.toString('utf8', p + 46, p + 46 + nameLen));
    entries.push({ name, method, compressedSize, localHeader });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The entry names of a zip archive. */
function listZip(buf) {
  return centralDirectory(buf).map((e) => e.name);
}

/** Every file of a zip archive: name -> bytes. */
function readZip(buf) {
  const files = new Map();
  for (const e of centralDirectory(buf)) {
    if (e.name.endsWith('/')) continue;
    const h = e.localHeader;
    if (buf.readUInt32LE(h) !== 0x04034b50) throw new Error(`corrupt zip local header: ${e.name}`);
    const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
    const raw = buf.subarray(start, start + e.compressedSize);
    if (e.method === 0) files.set(e.name, Buffer.from(raw));
    else if (e.method === 8) files.set(e.name, zlib.inflateRawSync(raw));
    else throw new Error(`zip method ${e.method} not supported: ${e.name}`);
  }
  return files;
}

/** A PNG's width and height, from its IHDR. */
function pngSize(buf) {
  if (
    buf.length < 24 ||
    buf.readUInt32BE(0) !== 0x89504e47 ||
    buf.toString('ascii', 12, 16) !== 'IHDR'
  )
    throw new Error('not a PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

module.exports = { listZip, readZip, pngSize };
