import type { IncomingMessage } from 'node:http';
import { InputTooLongError, InvalidRequestError } from './errors.js';

/** Reads a request body as UTF-8, refusing (413) anything past `maxBytes` without buffering it. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new InputTooLongError(`The request body is ${declared} bytes; this endpoint accepts at most ${maxBytes}`, 413));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new InputTooLongError(`The request body passed ${maxBytes} bytes; this endpoint accepts at most that`, 413));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', (err) => reject(new InvalidRequestError(`The request body could not be read (${err.message})`)));
  });
}
