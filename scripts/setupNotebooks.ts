// npm run setup:notebooks: compiles lib/ to dist/, links node_modules/workbook, registers the tslab kernel (see tools/notebook/setup.ts).
import { setupNotebooks } from "../tools/notebook/setup";

setupNotebooks();
