import { ErrorCode, ShaddockError } from '../errors.js';

/** One link of a chain: does its part around `next()`, which runs the rest of the chain. */
export type Middleware<Context, Result> = (context: Context, next: () => Promise<Result>) => Promise<Result>;

/**
 * Composes links into one function, once (the filter chain is one compose): each call runs the
 * links in order, then `last`; with no link, the composition is `last` itself. A link that calls `next()` a second time gets a rejection with
 * `FilterNextTwice` and the rest of the chain does not run again; a link that throws rejects.
 *
 * @example
 * const run = compose([async (context, next) => (await next()) + 1], async (context: number) => context);
 * await run(41); // 42
 */
export function compose<Context, Result>(
  links: readonly Middleware<Context, Result>[],
  last: (context: Context) => Promise<Result>,
): (context: Context) => Promise<Result> {
  if (links.length === 0) return last;
  const chain = [...links];
  return (context) => {
    let reached = -1;
    const dispatch = (index: number): Promise<Result> => {
      if (index <= reached) {
        return Promise.reject(
          new ShaddockError(ErrorCode.FilterNextTwice, 'a filter called next() more than once'),
        );
      }
      reached = index;
      try {
        const link = chain[index];
        return link === undefined ? last(context) : link(context, () => dispatch(index + 1));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
