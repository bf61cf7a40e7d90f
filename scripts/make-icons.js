#!/usr/bin/env node
// Draws the extension's icons (a white arrow into a tray on Azure blue) and writes them as PNG
// files, 4x4 supersampled: images/extension-icon.png (128x128, the Marketplace and the extension
// list) and tasks/ImportPublicImages/icon.png (32x32, the task's icon in the pipeline editor).
// Run it only to change the icons; the PNGs are committed (CI does not draw them).
//   node scripts/make-icons.js
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const root = path.resolve(__dirname, '..');
const BLUE = [0x00, 0x78, 0xd4];
const WHITE = [0xff, 0xff, 0xff];

/** Is the point (x, y) in the unit square white (the arrow or the tray)? */
function white(x, y) {
  const shaft = x >= 0.42 && x <= 0.58 && y >= 0.16 && y <= 0.5;
  // the arrow head: a triangle from (0.26, 0.45)-(0.74, 0.45) down to (0.5, 0.7)
  const head = y >= 0.45 && y <= 0.7 && Math.abs(x - 0.5) <= 0.24 * (1 - (y - 0.45) / 0.25);
  const trayLeft = x >= 0.17 && x <= 0.23 && y >= 0.56 && y <= 0.8;
  const trayRight = x >= 0.77 && x <= 0.83 && y >= 0.56 && y <= 0.8;
  const trayBottom = x >= 0.17 && x <= 0.83 && y >= 0.74 && y <= 0.8;
  return shaft || head || trayLeft || trayRight || trayBottom;
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size) {
  const SS = 4;
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let px = 0; px < size; px++) {
      let w = 0;
      for (let sy = 0; sy < SS; sy++)
        for (let sx = 0; sx < SS; sx++)
          if (white((px + (sx + 0.5) / SS) / size, (py + (sy + 0.5) / SS) / size)) w++;
      const a = w / (SS * SS);
      for (let ch = 0; ch < 3; ch++)
        row[1 + px * 4 + ch] = Math.round(BLUE[ch] * (1 - a) + WHITE[ch] * a);
      row[1 + px * 4 + 3] = 0xff;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

for (const [rel, size] of [
  ['images/extension-icon.png', 128],
  ['tasks/ImportPublicImages/icon.png', 32],
]) {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, png(size));
  console.log(`${rel}: ${size}x${size}, ${fs.statSync(file).size} bytes`);
}
