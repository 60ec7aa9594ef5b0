import { createLimiter } from '../../src/clients/rate-limit.js';

describe('createLimiter.begin: a call holds its slot until its response is in', () => {
  it('admits the next call one window after the oldest call finished, not after it started', async () => {
    const limiter = createLimiter([{ methods: ['GET'], perSecond: 2 }]);
    const t0 = Date.now();
    const doneA = await limiter.begin('GET', '/x');
    const doneB = await limiter.begin('GET', '/x');
    let admittedAt = 0;
    const third = limiter.begin('GET', '/x').then((done) => {
      admittedAt = Date.now();
      return done;
    });
    // A slow first response: the server may have counted A at any moment until now.
    await new Promise((r) => setTimeout(r, 400));
    const finishedA = Date.now();
    doneA();
    doneB();
    (await third)();
    expect(admittedAt - finishedA).toBeGreaterThanOrEqual(1000);
    expect(admittedAt - t0).toBeGreaterThanOrEqual(1400);
  });

  it('waits for a call still in flight when every slot is held, and wakes when it finishes', async () => {
    const limiter = createLimiter([{ methods: ['GET'], perSecond: 1 }]);
    const done = await limiter.begin('GET', '/x');
    let admitted = false;
    const next = limiter.begin('GET', '/x').then((d) => {
      admitted = true;
      return d;
    });
    // Longer than a window: counting from the start would already have admitted the next call.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(admitted).toBe(false);
    const finished = Date.now();
    done();
    (await next)();
    expect(Date.now() - finished).toBeGreaterThanOrEqual(1000);
  });

  it('acquire() counts from the start, and calls that match no limit pass straight through', async () => {
    const limiter = createLimiter([{ methods: ['GET'], perSecond: 2 }]);
    const t0 = Date.now();
    // Two GETs within the limit and a POST no limit matches: admitted before any timer could fire.
    const admitted = (async () => {
      await limiter.acquire('GET', '/x');
      await limiter.acquire('GET', '/x');
      await limiter.begin('POST', '/x').then((d) => d());
      return 'admitted';
    })();
    expect(await Promise.race([admitted, new Promise((r) => setImmediate(() => r('waited')))])).toBe('admitted');
    await limiter.acquire('GET', '/x');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  });
});
