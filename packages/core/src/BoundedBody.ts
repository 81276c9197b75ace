/**
 * Reads a body stream whole, up to `maxBytes`: past that it cancels the stream and throws what
 * `tooLarge()` makes, so a peer cannot make us buffer an unbounded body. Web streams have no
 * reader with a limit (Node's `stream/consumers` reads without one), hence this loop.
 * @param maxBytes - the most bytes accepted
 * @returns the bytes read
 * @throws what `tooLarge()` returns, when the body is longer; what the stream fails with
 */
export async function readBoundedBody(body: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => Error): Promise<Buffer<ArrayBuffer>> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
