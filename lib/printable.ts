/**
 * Text that came from outside (an MQTT topic, a stream key, a file name) made fit for one log line:
 * control characters (a newline would let a sender forge log lines) are escaped and the length is
 * capped, so what is logged is always what was received, visibly.
 */
const MAX_LENGTH = 200;

export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > MAX_LENGTH ? `${escaped.slice(0, MAX_LENGTH - 1)}…` : escaped;
}
