// The data converter every Temporal client and worker hookflow creates uses: with history encryption
// on, the payload codec (payload-codec.ts) under the same keys as the ledger's sealed values, so one
// HOOKFLOW_ENCRYPTION_KEY (new,old…) serves both. On or off, failure messages travel as payloads
// (failure-converter.ts), so every bundle and client reads them the same way.
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { atRestKeys, encryptionKeys } from '../crypto';
import { encryptionCodec, type EncryptionCodec } from './payload-codec';

/** The failure converter's module, for workflow bundles (they load it by path inside the sandbox). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

type EncryptionConfig = Pick<Config, 'historyEncryption' | 'api' | 'dataDir'>;

/**
 * The payload codec under HOOKFLOW_ENCRYPTION_KEY, or the embedded default's data folder key when
 * none is configured (one folder, one key): processes on other machines must share
 * HOOKFLOW_ENCRYPTION_KEY, or a worker names the key it lacks.
 */
export function historyCodec(config: EncryptionConfig): EncryptionCodec {
  return encryptionCodec(encryptionKeys(config.api.encryptionKeys, config.dataDir));
}

/**
 * `existingKeysOnly`: a process that must not make the data folder's key (the command line: a key
 * it made would encrypt what no worker can read) fails, saying to set HOOKFLOW_ENCRYPTION_KEY.
 */
export function dataConverterFor(
  config: EncryptionConfig,
  o: {
    existingKeysOnly?: boolean;
    /** Called with the key ID of each payload decrypted (the decode tally `keys status` reads). */
    onDecode?: ((keyId: string) => void) | undefined;
  } = {},
): DataConverter {
  const failureConverterPath = FAILURE_CONVERTER_PATH;
  const on = config.historyEncryption;
  const keys = atRestKeys(config.api.encryptionKeys, config.dataDir, on && !o.existingKeysOnly);
  if (on && keys.length === 0)
    throw new Error('HOOKFLOW_ENCRYPTION_KEY is not set: set it to the key the servers and workers use');
  // Off: nothing new is encrypted, but what was (workflows still open, results) still decodes with
  // whatever keys there are; with none, there is nothing to decode with.
  if (keys.length === 0) return { failureConverterPath };
  const codec = encryptionCodec(keys, { onDecode: o.onDecode });
  return {
    failureConverterPath,
    payloadCodecs: [
      on ? codec : { encode: (payloads) => Promise.resolve(payloads), decode: (p) => codec.decode(p) },
    ],
  };
}
