// Builds the JupyterLab 3.6 frontend of tools/jupyterlab/app.js into
// .jupyterlab-app/ (git-ignored), the layout that jupyterlab_server's
// LabServerApp serves (tools/jupyterlab/serve.py):
//   static/app.js, static/app.css   the bundle (esbuild) and its CSS, fonts and images
//   schemas/<package>/<plugin>.json  each extension's settings schemas (+ package.json.orig)
//   themes/<package>/index.css       the light theme, as the theme manager loads it
//   templates/index.html             the page (page config, bundle)
//   app-settings/overrides.json      changed defaults (no news fetched)
// A build is reused while package-lock.json, app.js, templates/ and this file are unchanged
// (a hash in .jupyterlab-app/build.json), so only the first check or lab pays
// for it (about 20 s on two cores).
import * as fs from "node:fs";
import * as path from "node:path";
import { sha256Hex, writeJsonAtomic } from "../../lib/utils/fs";

const ROOT = path.resolve(__dirname, "..", "..");
/** Where the built frontend lives (git ignores it). */
export const LAB_APP_DIR = path.join(ROOT, ".jupyterlab-app");
const SOURCE_DIR = __dirname;

/** The extensions whose settings schemas and theme the server needs; app.js registers the same ones. */
export const LAB_EXTENSIONS = [
  "application-extension", "apputils-extension", "codemirror-extension", "completer-extension", "docmanager-extension",
  "filebrowser-extension", "mainmenu-extension", "notebook-extension", "rendermime-extension", "shortcuts-extension",
  "statusbar-extension", "theme-light-extension", "tooltip-extension", "translation-extension", "ui-components-extension",
].map((name) => `@jupyterlab/${name}`);

export interface LabAppBuild {
  dir: string;
  /** The @jupyterlab/application version bundled. */
  version: string;
  /** false when an existing build with the same inputs was reused. */
  built: boolean;
  seconds: number;
}

function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [ROOT] }));
  } catch {
    throw new Error(`The JupyterLab frontend needs the npm package ${name}: run npm install (it is a devDependency)`);
  }
}

/** The hash of everything a build depends on: the lock file, the entry, the page template and this builder. */
function inputsHash(): string {
  const parts = [fs.readFileSync(path.join(ROOT, "package-lock.json"))];
  const files = ["app.js", "build.ts", ...fs.readdirSync(path.join(SOURCE_DIR, "templates")).sort().map((f) => path.join("templates", f))];
  for (const f of files) parts.push(Buffer.from(f), fs.readFileSync(path.join(SOURCE_DIR, f)));
  return sha256Hex(Buffer.concat(parts));
}

/**
 * Builds the frontend unless an up-to-date build is there; returns where.
 * The build goes to a fresh folder that replaces the old one at the end, so a
 * failed or concurrent build never leaves a half-written frontend.
 *
 * @example const { dir } = await buildLabApp(); // then serve.py --app-dir dir
 */
export async function buildLabApp(options: { dir?: string; force?: boolean; log?: (line: string) => void } = {}): Promise<LabAppBuild> {
  const dir = path.resolve(options.dir ?? LAB_APP_DIR);
  const start = Date.now();
  const hash = inputsHash();
  const version = (JSON.parse(fs.readFileSync(path.join(packageDir("@jupyterlab/application"), "package.json"), "utf8")) as { version: string }).version;
  const stampFile = path.join(dir, "build.json");
  if (!options.force && fs.existsSync(stampFile)) {
    try {
      if ((JSON.parse(fs.readFileSync(stampFile, "utf8")) as { hash?: string }).hash === hash) return { dir, version, built: false, seconds: (Date.now() - start) / 1000 };
    } catch {
      /* unreadable stamp: rebuild */
    }
  }
  options.log?.(`Building the JupyterLab ${version} frontend into ${path.relative(ROOT, dir)}/ (esbuild, once per lock file)`);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const esbuild = await import("esbuild");
    // An SVG imported by JavaScript is an icon's markup (a string); one in a CSS url() is an image.
    const svgInCss: import("esbuild").Plugin = {
      name: "svg-in-css",
      setup(build) {
        build.onResolve({ filter: /\.svg$/ }, (args) => {
          if (args.kind !== "url-token") return undefined;
          return { path: path.resolve(args.resolveDir, args.path), namespace: "svg-url" };
        });
        build.onLoad({ filter: /.*/, namespace: "svg-url" }, (args) => ({ contents: fs.readFileSync(args.path), loader: "dataurl" }));
      },
    };
    // The CSS conventions of JupyterLab's webpack build: `@import "~pkg/file.css"` names a package, and an
    // @import may follow rules (css-loader hoists it; a browser and esbuild would drop it).
    const webpackCss: import("esbuild").Plugin = {
      name: "webpack-css",
      setup(build) {
        build.onResolve({ filter: /^~/ }, async (args) => {
          const r = await build.resolve(args.path.slice(1), { kind: args.kind, resolveDir: args.resolveDir });
          return r.errors.length ? { errors: r.errors } : { path: r.path };
        });
        build.onLoad({ filter: /\.css$/ }, (args) => {
          const text = fs.readFileSync(args.path, "utf8");
          const imports = text.match(/^@import [^;]+;/gm) ?? [];
          return { contents: imports.join("\n") + "\n" + text.replace(/^@import [^;]+;/gm, ""), loader: "css" };
        });
      },
    };
    const common = {
      bundle: true,
      minify: true,
      logLevel: "warning" as const,
      loader: { ".svg": "text", ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".png": "file", ".gif": "file" } as Record<string, import("esbuild").Loader>,
      plugins: [svgInCss, webpackCss],
      absWorkingDir: ROOT,
      nodePaths: [path.join(ROOT, "node_modules")],
    };
    await esbuild.build({
      ...common,
      entryPoints: { app: path.join(SOURCE_DIR, "app.js") },
      outdir: path.join(tmp, "static"),
      format: "iife",
      platform: "browser",
      target: "es2019",
      define: { "process.env.NODE_ENV": '"production"', global: "window" },
    });
    const theme = "@jupyterlab/theme-light-extension";
    await esbuild.build({ ...common, entryPoints: [path.join(packageDir(theme), "style", "theme.css")], outdir: path.join(tmp, "themes", theme), entryNames: "index" });
    for (const name of LAB_EXTENSIONS) {
      const pkgDir = packageDir(name);
      const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { jupyterlab?: { schemaDir?: string } };
      const schemaDir = pkg.jupyterlab?.schemaDir;
      if (!schemaDir) continue;
      const to = path.join(tmp, "schemas", name);
      fs.mkdirSync(to, { recursive: true });
      for (const f of fs.readdirSync(path.join(pkgDir, schemaDir)).filter((f) => f.endsWith(".json"))) fs.copyFileSync(path.join(pkgDir, schemaDir, f), path.join(to, f));
      fs.copyFileSync(path.join(pkgDir, "package.json"), path.join(to, "package.json.orig"));
    }
    fs.cpSync(path.join(SOURCE_DIR, "templates"), path.join(tmp, "templates"), { recursive: true });
    // Defaults this build changes: no news fetched from the web (nothing to ask the user, nothing leaves the machine).
    writeJsonAtomic(path.join(tmp, "app-settings", "overrides.json"), { "@jupyterlab/apputils-extension:notification": { fetchNews: "false", checkForUpdates: false } });
    writeJsonAtomic(path.join(tmp, "build.json"), { hash, version, builtAt: new Date().toISOString() });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir, version, built: true, seconds: (Date.now() - start) / 1000 };
}
