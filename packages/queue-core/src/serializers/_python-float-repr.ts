// Python's repr() of a float, which is what json.dumps writes for one. Both languages print the
// shortest digit string that reads back as the same double, so only the layout differs: Python
// writes positional notation while the decimal exponent is in [-4, 16) and adds ".0" to an
// integral value; outside that range it writes `d[.ddd]e±XX` with at least two exponent digits.

/** `repr(x)` as CPython 3 writes it, e.g. `1e+16`, `1.5e-07`, `0.0001`, `100.0`, `-0.0`, `nan`. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';

  // toExponential() without an argument gives the shortest round-trip digits: "-1.5e-7".
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
  if (!match) throw new Error(`unexpected exponential form of ${x}`);
  const [, sign = '', first = '', rest = '', exp = '0'] = match;
  const digits = first + rest;
  const exponent = Number(exp); // x = 0.d1d2... * 10^(exponent + 1)
  const point = exponent + 1; // CPython's "decpt": digits before the decimal point

  if (point > -4 && point <= 16) {
    if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  const mantissa = rest === '' ? first : `${first}.${rest}`;
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${mantissa}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}
