// Ed25519 signing for Discord-style requests, with Node's own crypto (independent of the
// worker's ed25519-dalek): the worker must accept exactly what Discord would send.
import { generateKeyPairSync, createPrivateKey, sign } from "node:crypto";

export class TestKey {
  constructor(privateKey) {
    this.privateKey = privateKey ?? generateKeyPairSync("ed25519").privateKey;
  }
  static fromPem(pem) {
    return new TestKey(createPrivateKey(pem));
  }
  toPem() {
    return this.privateKey.export({ type: "pkcs8", format: "pem" });
  }
  /** The 32-byte public key as hex, as Discord shows it on the application page. */
  publicHex() {
    const jwk = this.privateKey.export({ format: "jwk" });
    return Buffer.from(jwk.x, "base64url").toString("hex");
  }
  /** Headers for `body` signed at `timestamp` (unix seconds as a string). */
  headers(body, timestamp = String(Math.floor(Date.now() / 1000))) {
    const signature = sign(null, Buffer.from(timestamp + body), this.privateKey).toString("hex");
    return { "x-signature-ed25519": signature, "x-signature-timestamp": timestamp, "content-type": "application/json" };
  }
}
