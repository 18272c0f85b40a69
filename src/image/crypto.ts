// node:crypto, loaded when something is hashed: `corral run` resolves an image and prepares a
// root filesystem without hashing anything, and loading the module (with the parts of OpenSSL's
// bindings it sets up) is milliseconds of every command that does not need it.
let mod: typeof import('node:crypto') | undefined;

export function crypto(): typeof import('node:crypto') {
  return (mod ??= process.getBuiltinModule('node:crypto'));
}
