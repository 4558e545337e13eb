/**
 * node-red-contrib-vocal-split as a library: the same chain the nodes and the CLI use.
 *
 *   const backend = await createBackend(resolveModelDir('default'));
 *   const { vocals, accompaniment } = await separate(await decodeAudioFile('song.mp3'), backend);
 */
export * from './audio';
export * from './dsp';
export * from './model';
export * from './separate';
export { resolveModelDir, MODELS_DIR, DEFAULT_MODEL } from './model/locate';
export { VocalSplitError, AudioDecodeError, InvalidArgumentError } from './errors';
