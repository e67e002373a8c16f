// Prometheus and Alertmanager on Kubernetes through the observability component provider. The
// config is typed by the SDK generated from the provider's schema: a misspelt key or a number for
// a duration is a compile error; values are checked by the provider, with their paths.
import * as pulumi from "@pulumi/pulumi";
import * as observability from "@pulumi/observability";

const settings = new pulumi.Config();

const monitoring = new observability.ObservabilityStack("monitoring", {
    config: {
        common: {
            target: "kubernetes",
            namePrefix: "monitoring-ts",
            kubernetes: {
                kubeconfig: settings.require("kubeconfig"),
                context: settings.require("context"),
            },
        },
        prometheus: {
            retention: "7d",
            scrapeJobs: [{ jobName: "my-app", targets: ["my-app.default.svc:8080"] }],
            ruleGroups: [
                {
                    name: "my-app",
                    rules: [
                        {
                            alert: "MyAppDown",
                            expr: 'up{job="my-app"} == 0',
                            for: "5m",
                            labels: { severity: "warning" },
                            annotations: { summary: "my-app has been down for 5 minutes" },
                        },
                    ],
                },
            ],
        },
        slos: [
            {
                name: "my_app_availability",
                description: "my-app answers its scrapes",
                objective: 0.99,
                window: "30d",
                sli: { kind: "availability", selector: 'up{job="my-app"}' },
            },
        ],
        // The package ships no integration: this receiver is where every alert goes.
        alertmanager: {
            receivers: [{ name: "default", slack: { webhookSecret: "slack_webhook_url", channel: "#alerts" } }],
        },
        grafana: { enabled: false },
        loki: { enabled: false },
        promtail: { enabled: false },
        jaeger: { enabled: false },
        nodeExporter: { enabled: false },
        kubeStateMetrics: { enabled: false },
    },
    // Stays a Pulumi secret across the language boundary; Alertmanager reads it from a file.
    secrets: { slack_webhook_url: settings.requireSecret("slackWebhook") },
});

export const prometheus = monitoring.urls.apply((urls) => urls["prometheus"]["internal"]);
export const alertmanager = monitoring.urls.apply((urls) => urls["alertmanager"]["internal"]);
