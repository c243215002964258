from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "editorial.experiments"
    label = "experiments"
    verbose_name = "Experiments and monitoring"

    def ready(self) -> None:
        from editorial.experiments import monitoring_services, services

        services.privacy_hooks_register()
        services.generation_providers_register()
        monitoring_services.promotion_gate_register()
