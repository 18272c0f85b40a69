// The one error type of the NetworkPolicy engine: a single line for people, naming what was wrong
// (the field, the nft message, the sysctl) and how to fix it.
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}
