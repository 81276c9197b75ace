import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/**
 * The signing key of an emulated OpenID provider: RS256 ID tokens and the JWKS that verifies them.
 * @see OpenID Connect Core §2 (ID token claims), §10.1 (signing); RFC 7517 (JWK Set)
 */
export class IdTokenSigner {
  private constructor(private readonly key: CryptoKey, private readonly publicJwk: JWK) {}

  /** A fresh RSA key pair with a random `kid`. */
  static async create(): Promise<IdTokenSigner> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    return new IdTokenSigner(privateKey, { ...(await exportJWK(publicKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' });
  }

  /** The JWK Set document (`{ keys: [...] }`), public key only. */
  jwks(): { keys: JWK[] } { return { keys: [this.publicJwk] }; }

  /**
   * Signs an ID token.
   * @param claims - `iss`, `sub`, `aud`, `azp`, `nonce`, … (`iat` and `exp` are set here)
   * @param lifetimeSeconds - `exp - iat`
   */
  sign(claims: Readonly<Record<string, unknown>>, lifetimeSeconds: number, nowMs: number): Promise<string> {
    const iat = Math.floor(nowMs / 1000);
    return new SignJWT({ ...claims, iat, exp: iat + lifetimeSeconds }).setProtectedHeader({ alg: 'RS256', kid: this.publicJwk.kid!, typ: 'JWT' }).sign(this.key);
  }
}
