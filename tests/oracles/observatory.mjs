// The reference grader for tests/security_headers_diff.rs: MDN HTTP
// Observatory's own retriever, analyzers and grader, run on cases served by
// a local server.
//
// Usage: OBSERVATORY=<package dir> node observatory.mjs < cases.json
// cases.json: [{"id", "host", "httpPort", "httpsPort", "path", "algorithm"}]
// Prints one JSON array: [{"id", "algorithm", "score", "grade", "error",
// "tests": [{"test", "result", "score_modifier", "pass"}]}]
//
// Each case is retrieved exactly as the Observatory retrieves a site
// (`retrieve()` from src/retriever/retriever.js: the http:// and https://
// sessions with their redirect chains and cookie jar, robots.txt, the CORS
// preflight), so the headers are read through Node and axios — repeated
// header lines are joined by Node's HTTP parser, cookies go through
// tough-cookie — the way the live site reads them. Then every test in
// ALL_TESTS runs and the score is computed as src/scanner/index.js computes
// it (that function takes no ports, hence the copy of its dozen lines).
//
// Algorithm: 1.4.8 is algorithm 4. The live site runs algorithm 5, whose one
// difference (mdn-http-observatory 1.6.x, src/grader/charts.js) is that
// x-frame-options-sameorigin-or-deny scores +5 instead of 0; with
// "algorithm": 5 (the default) that modifier is applied here. Nothing else
// is changed.
//
// Node reads NODE_EXTRA_CA_CERTS at start, so the caller sets it to the test
// CA for the https:// side to verify.

import path from "node:path";
import { pathToFileURL } from "node:url";

const pkg = process.env.OBSERVATORY;
if (!pkg) {
  console.error("set OBSERVATORY to the @mdn/mdn-http-observatory directory");
  process.exit(2);
}
const load = (rel) => import(pathToFileURL(path.join(pkg, rel)).href);

const { retrieve } = await load("src/retriever/retriever.js");
const { ALL_TESTS, ALGORITHM_VERSION } = await load("src/constants.js");
const { getGradeForScore, getScoreModifier } = await load(
  "src/grader/grader.js",
);
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT, SCORE_TABLE } = await load(
  "src/grader/charts.js",
);

if (ALGORITHM_VERSION !== 4) {
  console.error(`expected algorithm 4 in 1.4.8, found ${ALGORITHM_VERSION}`);
  process.exit(2);
}

/** The algorithm-5 modifier table: 4's, with XFO DENY/SAMEORIGIN at +5. */
function modifier(result, algorithm) {
  if (algorithm >= 5 && result === "x-frame-options-sameorigin-or-deny") {
    return 5;
  }
  return getScoreModifier(result);
}

async function gradeCase(c) {
  const algorithm = c.algorithm ?? 5;
  const out = { id: c.id, algorithm, score: null, grade: null, error: null };
  const r = await retrieve(c.host, {
    httpPort: c.httpPort,
    httpsPort: c.httpsPort,
    path: c.path,
  });
  // The guards of scanner/index.js's scan(), same messages.
  if (!r.responses.auto) {
    out.error = "The site seems to be down.";
    return out;
  }
  const { status } = r.responses.auto;
  if (status < 200 || (status >= 400 && ![401, 403].includes(status))) {
    out.error = `Site did respond with an unexpected HTTP status code ${status}.`;
    return out;
  }
  const results = ALL_TESTS.map((test) => test(r));
  let scoreWithExtraCredit = 100;
  let uncurvedScore = 100;
  out.tests = results.map((res) => {
    const m = res.result ? modifier(res.result, algorithm) : 0;
    scoreWithExtraCredit += m;
    if (m < 0) uncurvedScore += m;
    return {
      test: res.constructor.name,
      result: res.result,
      score_modifier: m,
      pass: res.pass,
    };
  });
  const score =
    uncurvedScore >= MINIMUM_SCORE_FOR_EXTRA_CREDIT
      ? scoreWithExtraCredit
      : uncurvedScore;
  const final = getGradeForScore(score);
  out.score = final.score;
  out.grade = final.grade;
  return out;
}

// Exit once stdout is flushed: the sessions' abort timers would otherwise
// keep Node alive for ten seconds, and exiting before the flush truncates a
// piped stdout at 64 KiB.
function finish(value) {
  process.stdout.write(JSON.stringify(value) + "\n", () => process.exit(0));
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);

if (request.table) {
  // The score table itself, for comparing readyctl's explain table.
  const table = [...SCORE_TABLE].map(([result, v]) => ({
    result,
    score_modifier: modifier(result, request.algorithm ?? 5),
  }));
  finish(table);
} else {
  finish(await gradeAll(request));
}

async function gradeAll(cases) {
  const results = new Array(cases.length);
  let next = 0;
  async function worker() {
    while (next < cases.length) {
      const i = next++;
      try {
        results[i] = await gradeCase(cases[i]);
      } catch (e) {
        results[i] = { id: cases[i].id, error: String(e?.stack ?? e) };
      }
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker));
  return results;
}
