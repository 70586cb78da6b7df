//! One unit of work, written once for both backends: `Tables` has a
//! method for each table function (`protocols_get` is `protocols::get`),
//! implemented for a SQLite connection (delegating to `store::<table>`) and
//! for a PostgreSQL unit of work (delegating to `store::postgres::<table>`).
//! `Store::read` and `Store::write` hand one to their closure, so the
//! operations in `api/` and the analysis job never know which backend they
//! run on. Generated from the table functions' signatures, which the two
//! backends share.

use crate::store::Page;
use crate::store::analyses::{
    Analysis, AnalysisFilter, Completion, NewAnalysis, ProviderMetrics, Usage,
};
use crate::store::error::Result;
use crate::store::exports::{Export, NewExport};
use crate::store::protocols::{
    Deleted, NewProtocol, Protocol, ProtocolFilter, ProtocolInfo, ProtocolUpdate,
};
use crate::store::provider_cache::{Entry, Key};
use crate::store::stats::{Dashboard, ProtocolAnalytics, ReviewProgress};
use crate::store::suggestions::{
    Change, Decision, Expect, Lineage, NewSuggestion, Suggestion, SuggestionFilter,
};
use crate::store::versions::ProtocolVersion;
use crate::store::{ExportStatus, ProtocolStatus};

/// A SQLite connection (or a write transaction, which derefs to one) as
/// `Tables`: the SQLite table functions need only `&Connection`.
pub struct Sqlite<'a>(pub &'a rusqlite::Connection);

/// The trait and both implementations from one list: each line names a
/// method, the table function it calls on either backend (same module and
/// name under `store::` and `store::postgres::`), its arguments and what it
/// returns.
macro_rules! tables {
    ($(fn $name:ident => $module:ident::$func:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;)*) => {
        /// The table functions of one backend, on one connection or transaction.
        pub trait Tables {
            $(fn $name(&mut self, $($arg: $ty),*) -> Result<$ret>;)*
        }

        impl Tables for Sqlite<'_> {
            $(fn $name(&mut self, $($arg: $ty),*) -> Result<$ret> {
                crate::store::$module::$func(self.0, $($arg),*)
            })*
        }

        impl Tables for crate::store::postgres::unit::Unit {
            $(fn $name(&mut self, $($arg: $ty),*) -> Result<$ret> {
                crate::store::postgres::$module::$func(self.client(), $($arg),*)
            })*
        }
    };
}

tables! {
    fn protocols_create => protocols::create(new: &NewProtocol) -> Protocol;
    fn protocols_find => protocols::find(id: &str) -> Option<Protocol>;
    fn protocols_get => protocols::get(id: &str) -> Protocol;
    fn protocols_find_by_sha256 => protocols::find_by_sha256(sha256: &str) -> Option<ProtocolInfo>;
    fn protocols_list => protocols::list(filter: &ProtocolFilter, page: Page) -> Vec<ProtocolInfo>;
    fn protocols_position_newest_first => protocols::position_newest_first(id: &str) -> Option<u64>;
    fn protocols_count => protocols::count(filter: &ProtocolFilter) -> u64;
    fn protocols_by_status => protocols::by_status(status: ProtocolStatus, limit: u64) -> Vec<ProtocolInfo>;
    fn protocols_update => protocols::update(id: &str, changes: &ProtocolUpdate) -> Protocol;
    fn protocols_delete => protocols::delete(id: &str) -> Deleted;
    fn analyses_create => analyses::create(new: &NewAnalysis) -> Analysis;
    fn analyses_create_at => analyses::create_at(new: &NewAnalysis, created_at: &str) -> Analysis;
    fn analyses_find => analyses::find(id: &str) -> Option<Analysis>;
    fn analyses_get => analyses::get(id: &str) -> Analysis;
    fn analyses_start => analyses::start(id: &str) -> Analysis;
    fn analyses_complete => analyses::complete(id: &str, done: &Completion) -> Analysis;
    fn analyses_fail => analyses::fail(id: &str, message: &str) -> Analysis;
    fn analyses_record_usage => analyses::record_usage(id: &str, usage: &Usage) -> ();
    fn analyses_latest_completed_by => analyses::latest_completed_by(protocol_id: &str, provider: &str) -> Option<Analysis>;
    fn analyses_providers_of => analyses::providers_of(protocol_id: &str) -> Vec<String>;
    fn analyses_list => analyses::list(filter: &AnalysisFilter, page: Page) -> Vec<Analysis>;
    fn analyses_count => analyses::count(filter: &AnalysisFilter) -> u64;
    fn analyses_resolve => analyses::resolve(id: &str) -> Option<Analysis>;
    fn analyses_latest_completed => analyses::latest_completed(protocol_id: &str) -> Option<Analysis>;
    fn analyses_history => analyses::history(protocol_id: &str, limit: u64) -> Vec<Analysis>;
    fn analyses_latest_completed_score => analyses::latest_completed_score(protocol_id: &str) -> Option<(String, Option<f64>)>;
    fn analyses_by_provider => analyses::by_provider(provider: &str, limit: u64) -> Vec<Analysis>;
    fn analyses_with_suggestions => analyses::with_suggestions(id: &str) -> (Analysis, Vec<Suggestion>);
    fn analyses_delete => analyses::delete(id: &str) -> ();
    fn analyses_performance_metrics => analyses::performance_metrics() -> Vec<ProviderMetrics>;
    fn suggestions_insert_many => suggestions::insert_many(analysis_id: &str, new: &[NewSuggestion]) -> Vec<String>;
    fn suggestions_create => suggestions::create(analysis_id: &str, new: &NewSuggestion) -> Suggestion;
    fn suggestions_find => suggestions::find(id: &str) -> Option<Suggestion>;
    fn suggestions_get => suggestions::get(id: &str) -> Suggestion;
    fn suggestions_list => suggestions::list(filter: &SuggestionFilter, page: Page) -> Vec<Suggestion>;
    fn suggestions_position => suggestions::position(filter: &SuggestionFilter, id: &str) -> Option<u64>;
    fn suggestions_for_item => suggestions::for_item(analysis_id: &str, reference: &str) -> Option<Suggestion>;
    fn suggestions_count => suggestions::count(filter: &SuggestionFilter) -> u64;
    fn suggestions_decide => suggestions::decide(id: &str, decision: &Decision, expect: Expect) -> Suggestion;
    fn suggestions_change => suggestions::change(id: &str, change: &Change, expect: Expect) -> Suggestion;
    fn suggestions_successor => suggestions::successor(id: &str) -> Option<String>;
    fn suggestions_live_for_protocol => suggestions::live_for_protocol(protocol_id: &str) -> Vec<Suggestion>;
    fn suggestions_mark_applied => suggestions::mark_applied(ids: &[&str], version: i64) -> ();
    fn suggestions_lineage => suggestions::lineage(analysis_id: &str) -> Lineage;
    fn suggestions_all_ids => suggestions::all_ids() -> Vec<String>;
    fn suggestions_count_current => suggestions::count_current() -> u64;
    fn suggestions_delete => suggestions::delete(id: &str) -> ();
    fn versions_create_next => versions::create_next(protocol_id: &str, content: &str, change_summary: Option<&str>, created_by: Option<&str>) -> ProtocolVersion;
    fn versions_create => versions::create(protocol_id: &str, version_number: i64, content: &str, change_summary: Option<&str>, created_by: Option<&str>) -> ProtocolVersion;
    fn versions_get => versions::get(id: &str) -> ProtocolVersion;
    fn versions_by_number => versions::by_number(protocol_id: &str, version_number: i64) -> Option<ProtocolVersion>;
    fn versions_list => versions::list(protocol_id: &str) -> Vec<ProtocolVersion>;
    fn versions_count => versions::count(protocol_id: &str) -> u64;
    fn versions_delete => versions::delete(id: &str) -> ();
    fn exports_create => exports::create(new: &NewExport) -> Export;
    fn exports_get => exports::get(id: &str) -> Export;
    fn exports_set_status => exports::set_status(id: &str, status: ExportStatus, file_size: Option<i64>, error_message: Option<&str>) -> Export;
    fn exports_complete => exports::complete(id: &str, path: &str, size: u64, sha256: &str) -> Export;
    fn exports_list => exports::list(protocol_id: Option<&str>, page: Page) -> Vec<Export>;
    fn exports_count => exports::count(protocol_id: Option<&str>) -> u64;
    fn exports_due_for_expiry => exports::due_for_expiry(now: &str) -> Vec<Export>;
    fn exports_delete => exports::delete(id: &str) -> ();
    fn stats_protocol_analytics => stats::protocol_analytics(days: u32) -> ProtocolAnalytics;
    fn stats_review_progress => stats::review_progress() -> ReviewProgress;
    fn stats_analysis_progress => stats::analysis_progress(analysis_id: &str) -> ReviewProgress;
    fn stats_score_histogram => stats::score_histogram() -> [u64; 10];
    fn stats_dashboard => stats::dashboard(days: u32) -> Dashboard;
    fn stats_figures_disagreeing => stats::figures_disagreeing() -> u64;
    fn stats_recount => stats::recount() -> ();
    fn provider_cache_get => provider_cache::get(key: &Key<'_>) -> Option<Entry>;
    fn provider_cache_put => provider_cache::put(key: &Key<'_>, entry: &Entry) -> ();
    fn provider_cache_count => provider_cache::count() -> u64;
}
