/**
 * Whether this host stores numbers little-endian, as WAV and ONNX's raw tensor data do: then their
 * bytes can be read and written through typed-array views instead of DataView calls.
 */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
