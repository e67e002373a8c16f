// Reads a JSON array of LogQL expressions on stdin and prints, as JSON, one entry per expression:
// null when Grafana's LogQL grammar parses it whole, else the offset and text around the first error.
import { parser } from "@grafana/lezer-logql";

const input = await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => (data += chunk));
  process.stdin.on("end", () => resolve(data));
});

const results = JSON.parse(input).map((expr) => {
  let error = null;
  parser.parse(expr).iterate({
    enter(node) {
      if (error === null && node.type.isError) {
        error = { offset: node.from, near: expr.slice(Math.max(0, node.from - 20), node.from + 20) };
      }
    },
  });
  return error;
});
process.stdout.write(JSON.stringify(results));
