import memjs from "memjs";

/**
 * Compare-and-swap over memjs's connections. memjs speaks the binary protocol but does not
 * expose the CAS token (its GET drops it, its SET sends none); these two requests carry it,
 * through memjs's own `perform` (server choice, retries, failover, response parsing).
 */

const OP_GET = 0x00;
const OP_SET = 0x01;
const STATUS_OK = 0;
const STATUS_NOT_FOUND = 1;
const STATUS_EXISTS = 2;
const STATUS_NOT_STORED = 5;

export interface Versioned {
  value: Buffer;
  /** The item's CAS token, to pass to `casSet`. */
  cas: Buffer;
}

function send(
  client: memjs.Client,
  opcode: number,
  key: string,
  extras: Buffer,
  value: Buffer,
  cas?: Buffer,
): Promise<memjs.Response> {
  client.incrSeq();
  const seq = client.seq;
  const keyBytes = Buffer.from(key);
  const header = memjs.Header.toBuffer({
    magic: 0x80,
    opcode,
    keyLength: keyBytes.length,
    extrasLength: extras.length,
    totalBodyLength: keyBytes.length + extras.length + value.length,
    opaque: seq,
    cas,
  });
  const request = Buffer.concat([header, extras, keyBytes, value]);
  return new Promise((resolve, reject) => {
    client.perform(key, request, seq, (err: Error | null, response: memjs.Response) => {
      if (err) reject(err);
      else resolve(response);
    });
  });
}

/** The value and CAS token of `key`, or null when it does not exist. */
export async function gets(client: memjs.Client, key: string): Promise<Versioned | null> {
  const response = await send(client, OP_GET, key, Buffer.alloc(0), Buffer.alloc(0));
  if (response.header.status === STATUS_NOT_FOUND) return null;
  if (response.header.status !== STATUS_OK)
    throw new Error(`memcached GET ${key} failed with status ${response.header.status}`);
  return { value: response.val, cas: Buffer.from(response.header.cas) };
}

/** Store `value` only if `key` still has the given CAS token. False when it changed or went. */
export async function casSet(
  client: memjs.Client,
  key: string,
  value: string,
  expires: number,
  cas: Buffer,
): Promise<boolean> {
  const extras = Buffer.alloc(8);
  extras.writeUInt32BE(0, 0);
  extras.writeUInt32BE(expires, 4);
  const response = await send(client, OP_SET, key, extras, Buffer.from(value), cas);
  switch (response.header.status) {
    case STATUS_OK:
      return true;
    case STATUS_EXISTS:
    case STATUS_NOT_FOUND:
    case STATUS_NOT_STORED:
      return false;
    default:
      throw new Error(`memcached SET ${key} failed with status ${response.header.status}`);
  }
}
