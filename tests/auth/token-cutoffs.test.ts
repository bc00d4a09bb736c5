// The refresh lookup compares stored instants with cut-offs computed from the clock
// (tokenCutoffs); its verdict must be the one of the rules as written in milliseconds — reuse once
// now - retired_at > grace, a touch once now - last_used_at >= 60 s — for every grace the
// configuration accepts, including those whose milliseconds are not a whole number in floating
// point (4007ms is 4006.9999999999995).
import { tokenCutoffs } from '../../src/auth/sessions';
import { parseDuration } from '../../src/config';

const now = new Date('2026-12-02T10:00:00.123Z');

it.each(['0', '1ms', '9ms', '4007ms', '1500ms', '10s', '10', '1m'])('reuse cut-off for a grace of %s: retired_at < cut-off exactly when now - retired_at > grace', (value) => {
  const grace = parseDuration(value)!;
  const { reuseBeforeMs } = tokenCutoffs(now.getTime(), grace);
  const graceMs = Math.round(grace * 1000);
  for (let elapsed = Math.max(0, graceMs - 3); elapsed <= graceMs + 3; elapsed += 1) {
    const retiredAt = new Date(now.getTime() - elapsed);
    expect([elapsed, retiredAt.getTime() < reuseBeforeMs]).toEqual([elapsed, now.getTime() - retiredAt.getTime() > grace * 1000]);
  }
});

it('touch cut-off: last_used_at <= cut-off exactly when now - last_used_at >= 60 s', () => {
  const { touchByMs } = tokenCutoffs(now.getTime(), 10);
  for (let elapsed = 59_997; elapsed <= 60_003; elapsed += 1) {
    const lastUsedAt = new Date(now.getTime() - elapsed);
    expect([elapsed, lastUsedAt.getTime() <= touchByMs]).toEqual([elapsed, elapsed >= 60_000]);
  }
});
