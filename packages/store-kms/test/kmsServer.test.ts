// The KMS-protocol test server of @authmanager/testing, checked against the real AWS SDK (and raw HTTP).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, EncryptCommand,
  GenerateDataKeyCommand, type KMSClient,
} from '@aws-sdk/client-kms';
import { startKmsServer, type KmsServer } from '@authmanager/testing';
import { kmsClient, rejectionOf } from './helpers.js';

let kms: KmsServer;
let client: KMSClient;

beforeAll(async () => {
  kms = await startKmsServer({ region: 'eu-west-1' });
  client = kmsClient(kms, { maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await kms.stop();
});

const nameOf = (err: unknown): string => String((err as Error).name);

describe('startKmsServer', () => {
  it('GenerateDataKey returns a 32-byte key and a blob that Decrypt opens without KeyId, with the same context', async () => {
    const keyId = kms.createKey();
    const context = { tenant: 'acme', purpose: 'test' };
    const generated = await client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }));
    const decrypted = await client.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { purpose: 'test', tenant: 'acme' } }));
    expect({
      length: generated.Plaintext?.length, same: Buffer.from(decrypted.Plaintext!).equals(Buffer.from(generated.Plaintext!)),
      keyIds: [generated.KeyId, decrypted.KeyId],
    }).toEqual({ length: 32, same: true, keyIds: [kms.keyArn(keyId), kms.keyArn(keyId)] });
  });

  it('Decrypt with another encryption context, or none, fails with InvalidCiphertextException', async () => {
    const keyId = kms.createKey();
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('hello'), EncryptionContext: { a: '1' } }));
    const other = await rejectionOf(client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '2' } })));
    const extra = await rejectionOf(client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '1', b: '2' } })));
    const none = await rejectionOf(client.send(new DecryptCommand({ CiphertextBlob })));
    const tampered = Buffer.from(CiphertextBlob!);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    const flipped = await rejectionOf(client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { a: '1' } })));
    const ok = await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '1' } }));
    expect({ names: [other, extra, none, flipped].map(nameOf), ok: Buffer.from(ok.Plaintext!).toString() }).toEqual({
      names: ['InvalidCiphertextException', 'InvalidCiphertextException', 'InvalidCiphertextException', 'InvalidCiphertextException'],
      ok: 'hello',
    });
  });

  it('Decrypt naming another key than the blob\'s fails with IncorrectKeyException; an unknown key with NotFoundException', async () => {
    const keyId = kms.createKey();
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    const wrongKey = await rejectionOf(client.send(new DecryptCommand({ CiphertextBlob, KeyId: kms.createKey() })));
    const unknown = await rejectionOf(client.send(new GenerateDataKeyCommand({ KeyId: 'alias/none', KeySpec: 'AES_256' })));
    expect([nameOf(wrongKey), nameOf(unknown)]).toEqual(['IncorrectKeyException', 'NotFoundException']);
  });

  it('CreateKey, DescribeKey, DisableKey and EnableKey over the wire; a disabled key refuses with DisabledException', async () => {
    const created = await client.send(new CreateKeyCommand({ Description: 'wire' }));
    const keyId = created.KeyMetadata!.KeyId!;
    await client.send(new DisableKeyCommand({ KeyId: keyId }));
    const disabled = await client.send(new DescribeKeyCommand({ KeyId: created.KeyMetadata!.Arn! }));
    const refused = await rejectionOf(client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })));
    await client.send(new EnableKeyCommand({ KeyId: keyId }));
    const enabled = await client.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect({
      arn: created.KeyMetadata!.Arn, description: created.KeyMetadata!.Description,
      disabled: [disabled.KeyMetadata!.Enabled, disabled.KeyMetadata!.KeyState], refused: nameOf(refused),
      enabled: [enabled.KeyMetadata!.Enabled, enabled.KeyMetadata!.KeyState],
    }).toEqual({
      arn: `arn:aws:kms:eu-west-1:111122223333:key/${keyId}`, description: 'wire',
      disabled: [false, 'Disabled'], refused: 'DisabledException', enabled: [true, 'Enabled'],
    });
  });

  it('failNext fails exactly `count` requests of that operation, and counts every request', async () => {
    const keyId = kms.createKey();
    kms.resetCounts();
    kms.failNext('GenerateDataKey', 'ThrottlingException', 2);
    kms.failNext('GenerateDataKey', 'AccessDeniedException');
    const send = () => rejectionOf(client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })));
    const outcomes = [await send(), await send(), await send(), await send()].map((r) => (r === '<fulfilled>' ? 'ok' : nameOf(r)));
    const described = await rejectionOf(client.send(new DescribeKeyCommand({ KeyId: keyId })));
    expect({ outcomes, described, counts: kms.counts(), generate: kms.requestCount('GenerateDataKey') }).toEqual({
      outcomes: ['ThrottlingException', 'ThrottlingException', 'AccessDeniedException', 'ok'],
      described: '<fulfilled>', counts: { GenerateDataKey: 4, DescribeKey: 1 }, generate: 4,
    });
  });

  it('speaks JSON 1.1 on POST / and refuses a request without an Authorization header', async () => {
    const keyId = kms.createKey();
    const post = (headers: Record<string, string>) => fetch(`${kms.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.DescribeKey', ...headers },
      body: JSON.stringify({ KeyId: keyId }),
    });
    const unsigned = await post({});
    const signed = await post({ authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/kms/aws4_request' });
    expect({
      unsigned: [unsigned.status, ((await unsigned.json()) as { __type: string }).__type],
      signed: [signed.status, signed.headers.get('content-type'), ((await signed.json()) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId],
    }).toEqual({
      unsigned: [400, 'MissingAuthenticationTokenException'],
      signed: [200, 'application/x-amz-json-1.1', keyId],
    });
  });

  it('refuses connections after stop()', async () => {
    const other = await startKmsServer();
    await other.stop();
    const err = await rejectionOf(fetch(`${other.endpoint}/`, { method: 'POST' }));
    expect(String((err as { cause?: { code?: string } }).cause?.code)).toBe('ECONNREFUSED');
  });
});
