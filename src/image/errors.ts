// The one error type of the image store: its message is a single line meant for people (the CLI
// prints it as is), naming what was wrong and how to fix it.
export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}
