/**
 * The few protobuf wire-format primitives an ONNX model needs: varints (wire type 0), 32-bit floats
 * (wire type 5) and length-delimited fields (wire type 2: strings, bytes, nested messages, packed
 * repeated scalars). Write-only; fields are emitted in call order, which protobuf allows.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private scratch: number[] = [];
  private size = 0;

  private flushScratch(): void {
    if (this.scratch.length) {
      this.parts.push(Uint8Array.from(this.scratch));
      this.size += this.scratch.length;
      this.scratch = [];
    }
  }

  private rawBytes(bytes: Uint8Array): void {
    // Small payloads go to the scratch array; big ones (weights) are kept by reference, not copied.
    if (bytes.length < 64) {
      for (const b of bytes) this.scratch.push(b);
    } else {
      this.flushScratch();
      this.parts.push(bytes);
      this.size += bytes.length;
    }
  }

  /** Unsigned or signed (two's complement, 10 bytes for negatives) varint, as int64 fields need. */
  private rawVarint(value: number | bigint): void {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`varint ${value} is not a safe integer`);
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  /** int32/int64/enum/bool field. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.rawBytes(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.length);
    this.rawBytes(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Embeds a sub-message; its parts are adopted by reference (weights are not copied per level). */
  message(field: number, msg: ProtoWriter): this {
    msg.flushScratch();
    this.tag(field, WIRE_LEN);
    this.rawVarint(msg.size);
    this.flushScratch();
    for (const p of msg.parts) this.parts.push(p);
    this.size += msg.size;
    return this;
  }

  /** Packed repeated int64 (proto3 style; proto2 parsers accept packed too). */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.parts.length === 1) return this.parts[0];
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    this.parts.splice(0, this.parts.length, out);
    return out;
  }
}
