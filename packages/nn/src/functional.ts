// The standard normal CDF composed from differentiable elementwise ops (the exact GELU has its own
// kernel now: Variable.gelu()). One function, so a kernel can replace it alone.
import type { Variable } from '@gd/autograd';

// fdlibm s_erf.c: erf on |u| < 0.84375 as u + u·pp(u²)/qq(u²), on [0.84375, 1.25) as
// erx + pa(|u| − 1)/qa(|u| − 1), and erfc(a) = exp(−a² − 0.5625 + R(1/a²)/S(1/a²))/a beyond,
// with (ra, sa) below 1/0.35 and (rb, sb) from there (erfc(28) underflows to 0).
const ERX = 0.8450629115104675;
const PP = [0.12837916709551256, -0.3250421072470015, -0.02848174957559851, -0.005770270296489442, -0.000023763016656650163];
const QQ = [1, 0.39791722395915535, 0.0650222499887673, 0.005081306281875766, 0.00013249473800432164, -0.000003960228278775368];
const PA = [
  -0.0023621185607526594, 0.41485611868374833, -0.3722078760357013, 0.31834661990116175, -0.11089469428239668, 0.035478304325618236,
  -0.002166375594868791,
];
const QA = [1, 0.10642088040084423, 0.540397917702171, 0.07182865441419627, 0.12617121980876164, 0.01363708391202905, 0.011984499846799107];
const RA = [
  -0.009864944034847148, -0.6938585727071818, -10.558626225323291, -62.375332450326006, -162.39666946257347, -184.60509290671104,
  -81.2874355063066, -9.814329344169145,
];
const SA = [
  1, 19.651271667439257, 137.65775414351904, 434.56587747522923, 645.3872717332679, 429.00814002756783, 108.63500554177944,
  6.570249770319282, -0.0604244152148581,
];
const RB = [
  -0.0098649429247001, -0.799283237680523, -17.757954917754752, -160.63638485582192, -637.5664433683896, -1025.0951316110772,
  -483.5191916086514,
];
const SB = [
  1, 30.33806074348246, 325.7925129965739, 1536.729586084437, 3199.8582195085955, 2553.0504064331644, 474.52854120695537,
  -22.44095244658582,
];
const TAIL = 1 / 0.35;

/** c₀ + c₁z + … + cₙzⁿ by Horner's rule. */
function poly(z: Variable, c: readonly number[]): Variable {
  let acc = z.mul(c[c.length - 1]!).add(c[c.length - 2]!);
  for (let i = c.length - 3; i >= 0; i--) acc = acc.mul(z).add(c[i]!);
  return acc;
}

/**
 * The standard normal CDF Φ(x) = ½(1 + erf(x/√2)) to float64 precision, composed from
 * differentiable elementwise ops. Each branch runs on its input clamped into its own range, so an
 * unselected branch is finite and passes no gradient.
 */
export function normalCdf(x: Variable): Variable {
  const u = x.mul(Math.SQRT1_2);
  const a = u.abs();
  const negative = u.value.lt(0);
  const us = u.clamp(-0.84375, 0.84375);
  const z = us.square();
  const small = us.add(us.mul(poly(z, PP).div(poly(z, QQ)))); // erf(u), |u| < 0.84375
  const t = a.clamp(0.84375, 1.25).sub(1);
  const midAbs = poly(t, PA).div(poly(t, QA)).add(ERX); // erf(|u|), |u| in [0.84375, 1.25)
  const erfcOf = (lo: number, hi: number, r: readonly number[], s: readonly number[]) => {
    const ac = a.clamp(lo, hi);
    const w = ac.square().reciprocal();
    return ac
      .square()
      .neg()
      .sub(0.5625)
      .add(poly(w, r).div(poly(w, s)))
      .exp()
      .div(ac); // erfc(|u|)
  };
  const erfc = erfcOf(1.25, TAIL, RA, SA).where(a.value.lt(TAIL), erfcOf(TAIL, 28, RB, SB));
  // Φ = ½ + ½·erf(u) near 0; in the tails ½·erfc(|u|) below 0 and 1 − ½·erfc(|u|) above, without cancellation
  const midSigned = midAbs.mul(0.5).add(0.5).where(negative.eq(0), midAbs.mul(-0.5).add(0.5));
  const tail = erfc.mul(0.5).where(negative, erfc.mul(-0.5).add(1));
  return small
    .mul(0.5)
    .add(0.5)
    .where(a.value.lt(0.84375), midSigned.where(a.value.lt(1.25), tail));
}
