//! The application root: metadata, theme, navigation shell and the route table.

use leptos::prelude::*;
use leptos_meta::provide_meta_context;
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::components::{error_page::ErrorPage, header::Header};
use crate::pages::{
    admin_audit::AuditPage, admin_tokens::TokensPage, catalog_list::CatalogListPage, cost::CostPage,
    create::CreatePage, delivery::DeliveryPage, deployments::DeploymentsPage, entity::EntityPage,
    entity_cost::EntityCostPage, entity_delivery::EntityDeliveryPage, entity_deployments::EntityDeploymentsPage,
    entity_reliability::EntityReliabilityPage, home::HomePage, locations::LocationsPage, not_found::NotFound,
    register::RegisterPage, reliability::ReliabilityPage, signin::SignInPage, status::StatusPage, task::TaskPage,
    template_form::TemplateFormPage,
};
use crate::safe::title::TitleFormat;
use crate::theme::Theme;

/// The whole portal. Every route is listed here so a newcomer finds pages from one table.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Theme::provide();
    mark_hydrated();

    view! {
        <TitleFormat />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <main id="main" class="page">
                <ErrorBoundary fallback=|errors| view! { <ErrorPage errors /> }>
                    <Routes fallback=NotFound>
                        <Route path=path!("") view=HomePage />
                        <Route path=path!("catalog") view=CatalogListPage ssr=SsrMode::Async />
                        <Route path=path!("catalog/:namespace/:kind/:name") view=EntityPage ssr=SsrMode::Async />
                        <Route path=path!("catalog/:namespace/:kind/:name/deployments") view=EntityDeploymentsPage ssr=SsrMode::Async />
                        <Route path=path!("catalog/:namespace/:kind/:name/delivery") view=EntityDeliveryPage ssr=SsrMode::Async />
                        <Route path=path!("catalog/:namespace/:kind/:name/reliability") view=EntityReliabilityPage ssr=SsrMode::Async />
                        <Route path=path!("catalog/:namespace/:kind/:name/cost") view=EntityCostPage ssr=SsrMode::Async />
                        <Route path=path!("deployments") view=DeploymentsPage ssr=SsrMode::Async />
                        <Route path=path!("delivery") view=DeliveryPage ssr=SsrMode::Async />
                        <Route path=path!("cost") view=CostPage ssr=SsrMode::Async />
                        <Route path=path!("reliability") view=ReliabilityPage ssr=SsrMode::Async />
                        <Route path=path!("catalog-import") view=RegisterPage />
                        <Route path=path!("create") view=CreatePage ssr=SsrMode::Async />
                        <Route path=path!("create/templates/:namespace/:name") view=TemplateFormPage ssr=SsrMode::Async />
                        <Route path=path!("create/tasks/:id") view=TaskPage ssr=SsrMode::Async />
                        // Async: data pages finish loading before the first byte, so a failure can still set HTTP 500.
                        <Route path=path!("status") view=StatusPage ssr=SsrMode::Async />
                        <Route path=path!("admin/locations") view=LocationsPage ssr=SsrMode::Async />
                        <Route path=path!("admin/tokens") view=TokensPage ssr=SsrMode::Async />
                        <Route path=path!("admin/audit") view=AuditPage ssr=SsrMode::Async />
                        <Route path=path!("signin") view=SignInPage />
                    </Routes>
                </ErrorBoundary>
            </main>
        </Router>
    }
}

/// Sets `data-hydrated` on `<body>` once the wasm runs: effects never run during server rendering,
/// so the attribute tells tests (and curious developers) that the page is interactive.
fn mark_hydrated() {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
