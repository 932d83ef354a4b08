import { FakeClock } from 'spine-orchestration/testing';

describe('FakeClock', () => {
  it('jumps to the wake-up time of a sleep by default', async () => {
    const clock = new FakeClock({ start: 1000 });
    await clock.sleep(500);
    expect(clock.now()).toBe(1500);
    expect(clock.sleeps).toEqual([500]);
  });

  it('fires timers in time order when advanced manually', async () => {
    const clock = new FakeClock({ start: 0, autoAdvance: false });
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a'));
    const cancel = clock.setTimer(20, () => fired.push('cancelled'));
    cancel();
    const slept = clock.sleep(25).then(() => fired.push('sleep'));
    clock.advance(40);
    await slept;
    expect(fired).toEqual(['a', 'b', 'sleep']);
    expect(clock.now()).toBe(40);
  });

  it('rejects a sleep whose signal aborts', async () => {
    const clock = new FakeClock({ autoAdvance: false });
    const controller = new AbortController();
    const slept = clock.sleep(1000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });
});
