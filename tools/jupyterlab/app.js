// The JupyterLab 3.6 frontend that tools/jupyterlab/serve.py serves where no
// jupyter-lab is installed: the @jupyterlab/* extensions a notebook user
// needs (file browser, notebook, menus, kernel, completer, tooltip, status
// bar, light theme) and jupyterlab-plotly's mime renderer for the plotly
// charts. Bundled by tools/jupyterlab/build.ts (esbuild) into .jupyterlab-app/.
// Plain JavaScript: it is compiled for the browser, never by the project's tsc.
import { JupyterLab } from "@jupyterlab/application";
import { PageConfig } from "@jupyterlab/coreutils";

// Each extension's style module (its CSS and that of the packages it uses).
import "@jupyterlab/application-extension/style/index.js";
import "@jupyterlab/apputils-extension/style/index.js";
import "@jupyterlab/codemirror-extension/style/index.js";
import "@jupyterlab/completer-extension/style/index.js";
import "@jupyterlab/docmanager-extension/style/index.js";
import "@jupyterlab/filebrowser-extension/style/index.js";
import "@jupyterlab/mainmenu-extension/style/index.js";
import "@jupyterlab/notebook-extension/style/index.js";
import "@jupyterlab/rendermime-extension/style/index.js";
import "@jupyterlab/shortcuts-extension/style/index.js";
import "@jupyterlab/statusbar-extension/style/index.js";
import "@jupyterlab/tooltip-extension/style/index.js";
import "@jupyterlab/translation-extension/style/index.js";
import "@jupyterlab/ui-components-extension/style/index.js";

import applicationExtension from "@jupyterlab/application-extension";
import apputilsExtension from "@jupyterlab/apputils-extension";
import codemirrorExtension from "@jupyterlab/codemirror-extension";
import completerExtension from "@jupyterlab/completer-extension";
import docmanagerExtension from "@jupyterlab/docmanager-extension";
import filebrowserExtension from "@jupyterlab/filebrowser-extension";
import mainmenuExtension from "@jupyterlab/mainmenu-extension";
import notebookExtension from "@jupyterlab/notebook-extension";
import rendermimeExtension from "@jupyterlab/rendermime-extension";
import shortcutsExtension from "@jupyterlab/shortcuts-extension";
import statusbarExtension from "@jupyterlab/statusbar-extension";
import themeLightExtension from "@jupyterlab/theme-light-extension";
import tooltipExtension from "@jupyterlab/tooltip-extension";
import translationExtension from "@jupyterlab/translation-extension";
import uiComponentsExtension from "@jupyterlab/ui-components-extension";
import plotlyRenderer from "jupyterlab-plotly/lib/plotly-renderer";

const asList = (m) => (Array.isArray(m) ? m : [m]);

/**
 * The plugins whose required services some plugin here provides: the
 * extensions also carry plugins for the console and the file editor, which
 * this frontend leaves out (they would only fail to activate).
 */
function withProviders(plugins) {
  let kept = plugins;
  for (;;) {
    const provided = new Set(kept.map((p) => p.provides).filter(Boolean));
    const next = kept.filter((p) => (p.requires || []).every((t) => provided.has(t)));
    if (next.length === kept.length) break;
    kept = next;
  }
  const dropped = plugins.filter((p) => !kept.includes(p)).map((p) => p.id);
  if (dropped.length) console.info(`Left out (they need the console or the file editor): ${dropped.join(", ")}`);
  return kept;
}

async function main() {
  const lab = new JupyterLab({ mimeExtensions: [plotlyRenderer] });
  lab.registerPlugins(
    withProviders([
      applicationExtension, apputilsExtension, codemirrorExtension, completerExtension, docmanagerExtension,
      filebrowserExtension, mainmenuExtension, notebookExtension, rendermimeExtension, shortcutsExtension,
      statusbarExtension, themeLightExtension, tooltipExtension, translationExtension, uiComponentsExtension,
    ].flatMap(asList)),
  );
  // The browser check (tools/jupyterlab/checkLab.ts) drives the app through its commands, as JupyterLab's own UI tests do.
  window.jupyterapp = lab;
  await lab.start();
  await lab.restored;
  document.body.dataset.workbookLab = "restored";
  console.log(`JupyterLab ${PageConfig.getOption("appVersion")} frontend restored`);
}

window.addEventListener("load", () => {
  main().catch((err) => {
    document.body.dataset.workbookLab = "failed";
    console.error("JupyterLab failed to start", err);
  });
});
