// Practice: fill-in-the-blank tasks and multiple-choice questions per
// notebook, checked against the real library (check, reveal, practiceQuiz).
export * from "./types";
export * from "./blank";
export * from "./exercises";
export * from "./check";
export * from "./quiz";
