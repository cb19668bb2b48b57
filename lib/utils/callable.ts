/**
 * Base class whose instances are functions: `pipe(text)` calls `pipe._call(text)`,
 * as Hugging Face pipelines are called (the transformers.js idiom).
 *
 * @example
 * class Shout extends Callable { _call(text: string) { return text.toUpperCase(); } }
 * (new Shout() as Shout & ((text: string) => string))("hi"); // "HI"
 */
export const Callable: new () => object = class {
  constructor() {
    const closure = function (this: unknown, ...args: unknown[]) {
      return (closure as unknown as { _call: (...a: unknown[]) => unknown })._call(...args);
    };
    return Object.setPrototypeOf(closure, new.target.prototype);
  }
} as unknown as new () => object;
