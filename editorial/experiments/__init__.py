"""Experiments and monitoring: A/B tests of engine configurations, off-policy evaluation,
fairness, drift, the model-quality gate and the beat schedule's runs. Above the editorial desk
in the layers: it reads playlists, feedback and editorial; none of them imports it."""
