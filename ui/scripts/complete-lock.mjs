// Adds the other platforms' optional native packages (@rollup/rollup-<os>-<cpu>[-<abi>], @esbuild/<os>-<cpu>)
// to package-lock.json when the registry mirror this lockfile was made with only serves linux packages
// (npm then leaves them out and `npm ci` refuses the lockfile). Each entry is optional with its os/cpu,
// so npm skips it on other platforms. Run after `npm install`: node scripts/complete-lock.mjs
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const pk = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries(pk)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${dep}`;
    if (pk[at]) continue;
    const m = /^@(?:rollup\/rollup|esbuild)[-/]([a-z0-9]+)-([a-z0-9]+)(?:-([a-z]+))?$/.exec(dep);
    if (!m) continue;
    const [, os, cpu, abi] = m;
    const e = { version, cpu: [cpu === "arm" && abi ? "arm" : cpu], license: "MIT", optional: true, os: [os] };
    if (abi === "gnu" || abi === "gnueabihf") e.libc = ["glibc"];
    if (abi === "musl" || abi === "musleabihf") e.libc = ["musl"];
    pk[at] = e;
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`complete-lock: ${added} optional platform package(s) added`);
