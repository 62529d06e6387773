/**
 * Text from a user's file as an error message may show it. The caller names the file,
 * possibly any file on the machine (over the bridge, from another one), and messages
 * travel back to them: so a message quotes only a short token that looks like a value
 * someone mistyped, and describes anything else by its length, never by its content.
 */
export function quoteFromFile(text: string): string {
  if (text === '') return 'an empty entry';
  return /^[\w.+-]{1,16}$/.test(text) ? `'${text}'` : `an entry of ${text.length} characters`;
}

/** Where JSON.parse stopped, without the snippet of the text its message may quote. */
export function jsonErrorPlace(error: unknown): string {
  const position = /at position (\d+)/.exec((error as Error).message)?.[1];
  return position === undefined ? 'near the start' : `at character ${Number(position) + 1}`;
}
