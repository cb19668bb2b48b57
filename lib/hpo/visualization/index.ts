export { plotOptimizationHistory } from "./optimizationHistory";
export { plotIntermediateValues } from "./intermediateValues";
export { plotParallelCoordinate } from "./parallelCoordinate";
export { plotSlice } from "./slice";
export { plotContour } from "./contour";
export { plotParamImportances } from "./paramImportances";
export { plotRosenbrockContour, plotBestSoFar, bestSoFar } from "./rosenbrock";
