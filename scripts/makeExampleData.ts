// npm run example:data [-- folder]: writes the own-data example (see tools/exampleData.ts).
import * as path from "node:path";
import { EXAMPLE_DATA_DIR, EXAMPLE_INTENTS, makeExampleData } from "../tools/exampleData";

const dir = makeExampleData(process.argv[2] ? path.resolve(process.argv[2]) : EXAMPLE_DATA_DIR);
console.log(`Wrote ${path.relative(process.cwd(), dir)}/train.csv and test.csv (${EXAMPLE_INTENTS.length} intents, no oos): WORKBOOK_DATA=${path.relative(process.cwd(), dir)} npm start`);
