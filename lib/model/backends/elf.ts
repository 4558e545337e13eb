/**
 * The dynamic section of an ELF64 little-endian shared library (Linux x86-64): which libraries it
 * needs (DT_NEEDED) and where the loader looks for them (DT_RUNPATH / DT_RPATH). Read with a few
 * positioned reads, never the whole file (onnxruntime's CUDA provider is several hundred MB) and
 * never by loading it, so probing cannot crash the process or run any library code.
 */
import * as fs from 'node:fs';

export interface ElfDynamic {
  needed: string[];
  /** DT_RUNPATH entries, split on ':' ($ORIGIN not expanded). */
  runpath: string[];
  /** DT_RPATH entries (older linkers; ignored by the loader when DT_RUNPATH is present). */
  rpath: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
/** A sane bound on the dynamic section and string table: real libraries stay far below. */
const MAX_TABLE_BYTES = 1 << 20;

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, offset);
  if (n !== length) throw new Error('truncated');
  return buf;
}

/**
 * The dynamic section of `file`; throws an Error saying why when the file is not a readable
 * ELF64 little-endian shared object (the caller names the file).
 */
export function readElfDynamic(file: string): ElfDynamic {
  const fd = fs.openSync(file, 'r');
  try {
    const header = readAt(fd, 0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
    if (header[4] !== 2 || header[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    if (phentsize < 56 || phnum === 0) throw new Error('no program headers');
    const table = readAt(fd, phoff, phentsize * phnum);
    const loads: Array<{ vaddr: number; offset: number; size: number }> = [];
    let dynamic: { offset: number; size: number } | undefined;
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      const type = table.readUInt32LE(at);
      const offset = Number(table.readBigUInt64LE(at + 8));
      const vaddr = Number(table.readBigUInt64LE(at + 16));
      const size = Number(table.readBigUInt64LE(at + 32));
      if (type === PT_LOAD) loads.push({ vaddr, offset, size });
      else if (type === PT_DYNAMIC) dynamic = { offset, size };
    }
    if (!dynamic) throw new Error('no dynamic section (not a shared library)');
    const dyn = readAt(fd, dynamic.offset, Math.min(dynamic.size, MAX_TABLE_BYTES));
    const entries: Array<[tag: number, value: number]> = [];
    for (let at = 0; at + 16 <= dyn.length; at += 16) {
      const tag = Number(dyn.readBigInt64LE(at));
      if (tag === DT_NULL) break;
      entries.push([tag, Number(dyn.readBigUInt64LE(at + 8))]);
    }
    const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
    const strsz = entries.find(([t]) => t === DT_STRSZ)?.[1];
    if (strtabAddr === undefined || strsz === undefined) throw new Error('dynamic section without a string table');
    // DT_STRTAB is a virtual address: map it to a file offset through the segment holding it.
    const seg = loads.find((l) => strtabAddr >= l.vaddr && strtabAddr < l.vaddr + l.size);
    if (!seg) throw new Error('string table outside every loaded segment');
    const strings = readAt(fd, seg.offset + (strtabAddr - seg.vaddr), Math.min(strsz, MAX_TABLE_BYTES));
    const str = (index: number): string => {
      const end = strings.indexOf(0, index);
      if (index >= strings.length || end < 0) throw new Error('string index outside the string table');
      return strings.toString('utf8', index, end);
    };
    const paths = (tag: number): string[] => entries.filter(([t]) => t === tag).flatMap(([, v]) => str(v).split(':')).filter(Boolean);
    return {
      needed: entries.filter(([t]) => t === DT_NEEDED).map(([, v]) => str(v)),
      runpath: paths(DT_RUNPATH),
      rpath: paths(DT_RPATH),
    };
  } finally {
    fs.closeSync(fd);
  }
}
