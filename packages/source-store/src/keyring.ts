import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { LedgerError, PermanentError } from '@integration-ledger/core'

/** A secret as stored: which master key sealed it, the GCM nonce, and ciphertext + 16-byte tag. */
export interface SealedSecret {
  keyId: string
  nonce: Buffer
  ciphertext: Buffer
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
const TAG_BYTES = 16

/**
 * Master keys for secrets at rest. The first key seals new secrets; every key can open, so the
 * master key is rotated by putting a new key first, re-sealing (`SourceStore.reseal`), then
 * dropping the old one.
 */
export class Keyring {
  readonly primaryId: string
  readonly #keys: ReadonlyMap<string, Buffer>

  private constructor(keys: Map<string, Buffer>, primaryId: string) {
    this.#keys = keys
    this.primaryId = primaryId
  }

  /**
   * Parses `id:base64,id:base64` (newest first); each key is 32 random bytes, e.g. from
   * `openssl rand -base64 32`.
   * @throws LedgerError CONFIG_INVALID naming the variable and the bad entry's position, never a key.
   */
  static parse(spec: string, variable = 'LEDGER_MASTER_KEYS'): Keyring {
    const keys = new Map<string, Buffer>()
    const entries = spec
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e.length > 0)
    entries.forEach((entry, index) => {
      const at = entry.indexOf(':')
      const id = entry.slice(0, at)
      const key = Buffer.from(entry.slice(at + 1), 'base64')
      if (at < 1 || !KEY_ID.test(id) || key.length !== 32 || keys.has(id)) {
        throw new LedgerError(
          'CONFIG_INVALID',
          `${variable}: entry ${index + 1} is not "<id>:<base64 of 32 bytes>" with a unique id of letters, digits, "_" or "-"; generate a key with "openssl rand -base64 32".`,
        )
      }
      keys.set(id, key)
    })
    const [primaryId] = keys.keys()
    if (primaryId === undefined) {
      throw new LedgerError(
        'CONFIG_INVALID',
        `${variable} holds no key; expected "<id>:<base64 of 32 bytes>".`,
      )
    }
    return new Keyring(keys, primaryId)
  }

  /** Seals with the primary key; `context` (e.g. source name) is authenticated, not encrypted. */
  seal(plaintext: string, context: string): SealedSecret {
    const nonce = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key(this.primaryId), nonce)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return { keyId: this.primaryId, nonce, ciphertext }
  }

  /** @throws PermanentError CONFIG_INVALID when the key is unknown or the data was tampered with. */
  open(sealed: SealedSecret, context: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.#key(sealed.keyId), sealed.nonce)
    decipher.setAAD(Buffer.from(context, 'utf8'))
    decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES))
    try {
      const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES)
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
    } catch (cause) {
      throw new PermanentError(
        'CONFIG_INVALID',
        `A stored secret of "${context}" does not decrypt with master key "${sealed.keyId}"; the key is wrong or the row was altered.`,
        { cause },
      )
    }
  }

  #key(id: string): Buffer {
    const key = this.#keys.get(id)
    if (key === undefined) {
      throw new PermanentError(
        'CONFIG_INVALID',
        `Master key "${id}" is not in LEDGER_MASTER_KEYS; add it back (after the current key) until every secret is re-sealed.`,
      )
    }
    return key
  }
}
