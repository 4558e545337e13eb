// @echogarden/pffft-wasm ships no types: its SIMD entry point is an Emscripten module factory.
// pffft.ts checks what it returns before using it.
declare module '@echogarden/pffft-wasm/simd' {
  const createModule: () => Promise<unknown>;
  export default createModule;
}
