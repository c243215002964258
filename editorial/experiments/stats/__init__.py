"""Pure computation for experiments and monitoring (no Django imports): statistics, assignment,
off-policy estimators, drift, fairness, the model-quality gate and chart geometry."""
