//! One unit of work, written once for both backends: `Tables` has a
//! method for each table function (`protocols_get` is `protocols::get`),
//! implemented for a SQLite connection (delegating to `store::<table>`) and
//! for a PostgreSQL transaction (delegating to `store::postgres::<table>`).
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
    Decision, Expect, Lineage, NewSuggestion, Suggestion, SuggestionFilter,
};
use crate::store::versions::ProtocolVersion;
use crate::store::{ExportStatus, ProtocolStatus};

/// A SQLite connection (or a write transaction, which derefs to one) as
/// `Tables`: the SQLite table functions need only `&Connection`.
pub struct Sqlite<'a>(pub &'a rusqlite::Connection);

/// The table functions of one backend, on one connection or transaction.
pub trait Tables {
    fn protocols_create(&mut self, new: &NewProtocol) -> Result<Protocol>;
    fn protocols_find(&mut self, id: &str) -> Result<Option<Protocol>>;
    fn protocols_get(&mut self, id: &str) -> Result<Protocol>;
    fn protocols_find_by_sha256(&mut self, sha256: &str) -> Result<Option<ProtocolInfo>>;
    fn protocols_list(&mut self, filter: &ProtocolFilter, page: Page) -> Result<Vec<ProtocolInfo>>;
    fn protocols_position_newest_first(&mut self, id: &str) -> Result<Option<u64>>;
    fn protocols_count(&mut self, filter: &ProtocolFilter) -> Result<u64>;
    fn protocols_by_status(
        &mut self,
        status: ProtocolStatus,
        limit: u64,
    ) -> Result<Vec<ProtocolInfo>>;
    fn protocols_update(&mut self, id: &str, changes: &ProtocolUpdate) -> Result<Protocol>;
    fn protocols_delete(&mut self, id: &str) -> Result<Deleted>;
    fn analyses_create(&mut self, new: &NewAnalysis) -> Result<Analysis>;
    fn analyses_create_at(&mut self, new: &NewAnalysis, created_at: &str) -> Result<Analysis>;
    fn analyses_find(&mut self, id: &str) -> Result<Option<Analysis>>;
    fn analyses_get(&mut self, id: &str) -> Result<Analysis>;
    fn analyses_start(&mut self, id: &str) -> Result<Analysis>;
    fn analyses_complete(&mut self, id: &str, done: &Completion) -> Result<Analysis>;
    fn analyses_fail(&mut self, id: &str, message: &str) -> Result<Analysis>;
    fn analyses_record_usage(&mut self, id: &str, usage: &Usage) -> Result<()>;
    fn analyses_latest_completed_by(
        &mut self,
        protocol_id: &str,
        provider: &str,
    ) -> Result<Option<Analysis>>;
    fn analyses_providers_of(&mut self, protocol_id: &str) -> Result<Vec<String>>;
    fn analyses_list(&mut self, filter: &AnalysisFilter, page: Page) -> Result<Vec<Analysis>>;
    fn analyses_count(&mut self, filter: &AnalysisFilter) -> Result<u64>;
    fn analyses_resolve(&mut self, id: &str) -> Result<Option<Analysis>>;
    fn analyses_latest_completed(&mut self, protocol_id: &str) -> Result<Option<Analysis>>;
    fn analyses_history(&mut self, protocol_id: &str, limit: u64) -> Result<Vec<Analysis>>;
    fn analyses_latest_completed_score(
        &mut self,
        protocol_id: &str,
    ) -> Result<Option<(String, Option<f64>)>>;
    fn analyses_by_provider(&mut self, provider: &str, limit: u64) -> Result<Vec<Analysis>>;
    fn analyses_with_suggestions(&mut self, id: &str) -> Result<(Analysis, Vec<Suggestion>)>;
    fn analyses_delete(&mut self, id: &str) -> Result<()>;
    fn analyses_performance_metrics(&mut self) -> Result<Vec<ProviderMetrics>>;
    fn suggestions_insert_many(
        &mut self,
        analysis_id: &str,
        new: &[NewSuggestion],
    ) -> Result<Vec<String>>;
    fn suggestions_create(&mut self, analysis_id: &str, new: &NewSuggestion) -> Result<Suggestion>;
    fn suggestions_find(&mut self, id: &str) -> Result<Option<Suggestion>>;
    fn suggestions_get(&mut self, id: &str) -> Result<Suggestion>;
    fn suggestions_list(
        &mut self,
        filter: &SuggestionFilter,
        page: Page,
    ) -> Result<Vec<Suggestion>>;
    fn suggestions_position(&mut self, filter: &SuggestionFilter, id: &str) -> Result<Option<u64>>;
    fn suggestions_for_item(
        &mut self,
        analysis_id: &str,
        reference: &str,
    ) -> Result<Option<Suggestion>>;
    fn suggestions_count(&mut self, filter: &SuggestionFilter) -> Result<u64>;
    fn suggestions_decide(
        &mut self,
        id: &str,
        decision: &Decision,
        expect: Expect,
    ) -> Result<Suggestion>;
    fn suggestions_successor(&mut self, id: &str) -> Result<Option<String>>;
    fn suggestions_live_for_protocol(&mut self, protocol_id: &str) -> Result<Vec<Suggestion>>;
    fn suggestions_mark_applied(&mut self, ids: &[&str], version: i64) -> Result<()>;
    fn suggestions_lineage(&mut self, analysis_id: &str) -> Result<Lineage>;
    fn suggestions_all_ids(&mut self) -> Result<Vec<String>>;
    fn suggestions_count_current(&mut self) -> Result<u64>;
    fn suggestions_delete(&mut self, id: &str) -> Result<()>;
    fn versions_create_next(
        &mut self,
        protocol_id: &str,
        content: &str,
        change_summary: Option<&str>,
        created_by: Option<&str>,
    ) -> Result<ProtocolVersion>;
    fn versions_create(
        &mut self,
        protocol_id: &str,
        version_number: i64,
        content: &str,
        change_summary: Option<&str>,
        created_by: Option<&str>,
    ) -> Result<ProtocolVersion>;
    fn versions_get(&mut self, id: &str) -> Result<ProtocolVersion>;
    fn versions_by_number(
        &mut self,
        protocol_id: &str,
        version_number: i64,
    ) -> Result<Option<ProtocolVersion>>;
    fn versions_list(&mut self, protocol_id: &str) -> Result<Vec<ProtocolVersion>>;
    fn versions_count(&mut self, protocol_id: &str) -> Result<u64>;
    fn versions_delete(&mut self, id: &str) -> Result<()>;
    fn exports_create(&mut self, new: &NewExport) -> Result<Export>;
    fn exports_get(&mut self, id: &str) -> Result<Export>;
    fn exports_set_status(
        &mut self,
        id: &str,
        status: ExportStatus,
        file_size: Option<i64>,
        error_message: Option<&str>,
    ) -> Result<Export>;
    fn exports_complete(&mut self, id: &str, path: &str, size: u64, sha256: &str)
    -> Result<Export>;
    fn exports_list(&mut self, protocol_id: Option<&str>, page: Page) -> Result<Vec<Export>>;
    fn exports_count(&mut self, protocol_id: Option<&str>) -> Result<u64>;
    fn exports_due_for_expiry(&mut self, now: &str) -> Result<Vec<Export>>;
    fn exports_delete(&mut self, id: &str) -> Result<()>;
    fn stats_protocol_analytics(&mut self, days: u32) -> Result<ProtocolAnalytics>;
    fn stats_review_progress(&mut self) -> Result<ReviewProgress>;
    fn stats_analysis_progress(&mut self, analysis_id: &str) -> Result<ReviewProgress>;
    fn stats_score_histogram(&mut self) -> Result<[u64; 10]>;
    fn stats_dashboard(&mut self, days: u32) -> Result<Dashboard>;
    fn provider_cache_get(&mut self, key: &Key<'_>) -> Result<Option<Entry>>;
    fn provider_cache_put(&mut self, key: &Key<'_>, entry: &Entry) -> Result<()>;
    fn provider_cache_count(&mut self) -> Result<u64>;
}

impl Tables for Sqlite<'_> {
    fn protocols_create(&mut self, new: &NewProtocol) -> Result<Protocol> {
        crate::store::protocols::create(self.0, new)
    }
    fn protocols_find(&mut self, id: &str) -> Result<Option<Protocol>> {
        crate::store::protocols::find(self.0, id)
    }
    fn protocols_get(&mut self, id: &str) -> Result<Protocol> {
        crate::store::protocols::get(self.0, id)
    }
    fn protocols_find_by_sha256(&mut self, sha256: &str) -> Result<Option<ProtocolInfo>> {
        crate::store::protocols::find_by_sha256(self.0, sha256)
    }
    fn protocols_list(&mut self, filter: &ProtocolFilter, page: Page) -> Result<Vec<ProtocolInfo>> {
        crate::store::protocols::list(self.0, filter, page)
    }
    fn protocols_position_newest_first(&mut self, id: &str) -> Result<Option<u64>> {
        crate::store::protocols::position_newest_first(self.0, id)
    }
    fn protocols_count(&mut self, filter: &ProtocolFilter) -> Result<u64> {
        crate::store::protocols::count(self.0, filter)
    }
    fn protocols_by_status(
        &mut self,
        status: ProtocolStatus,
        limit: u64,
    ) -> Result<Vec<ProtocolInfo>> {
        crate::store::protocols::by_status(self.0, status, limit)
    }
    fn protocols_update(&mut self, id: &str, changes: &ProtocolUpdate) -> Result<Protocol> {
        crate::store::protocols::update(self.0, id, changes)
    }
    fn protocols_delete(&mut self, id: &str) -> Result<Deleted> {
        crate::store::protocols::delete(self.0, id)
    }
    fn analyses_create(&mut self, new: &NewAnalysis) -> Result<Analysis> {
        crate::store::analyses::create(self.0, new)
    }
    fn analyses_create_at(&mut self, new: &NewAnalysis, created_at: &str) -> Result<Analysis> {
        crate::store::analyses::create_at(self.0, new, created_at)
    }
    fn analyses_find(&mut self, id: &str) -> Result<Option<Analysis>> {
        crate::store::analyses::find(self.0, id)
    }
    fn analyses_get(&mut self, id: &str) -> Result<Analysis> {
        crate::store::analyses::get(self.0, id)
    }
    fn analyses_start(&mut self, id: &str) -> Result<Analysis> {
        crate::store::analyses::start(self.0, id)
    }
    fn analyses_complete(&mut self, id: &str, done: &Completion) -> Result<Analysis> {
        crate::store::analyses::complete(self.0, id, done)
    }
    fn analyses_fail(&mut self, id: &str, message: &str) -> Result<Analysis> {
        crate::store::analyses::fail(self.0, id, message)
    }
    fn analyses_record_usage(&mut self, id: &str, usage: &Usage) -> Result<()> {
        crate::store::analyses::record_usage(self.0, id, usage)
    }
    fn analyses_latest_completed_by(
        &mut self,
        protocol_id: &str,
        provider: &str,
    ) -> Result<Option<Analysis>> {
        crate::store::analyses::latest_completed_by(self.0, protocol_id, provider)
    }
    fn analyses_providers_of(&mut self, protocol_id: &str) -> Result<Vec<String>> {
        crate::store::analyses::providers_of(self.0, protocol_id)
    }
    fn analyses_list(&mut self, filter: &AnalysisFilter, page: Page) -> Result<Vec<Analysis>> {
        crate::store::analyses::list(self.0, filter, page)
    }
    fn analyses_count(&mut self, filter: &AnalysisFilter) -> Result<u64> {
        crate::store::analyses::count(self.0, filter)
    }
    fn analyses_resolve(&mut self, id: &str) -> Result<Option<Analysis>> {
        crate::store::analyses::resolve(self.0, id)
    }
    fn analyses_latest_completed(&mut self, protocol_id: &str) -> Result<Option<Analysis>> {
        crate::store::analyses::latest_completed(self.0, protocol_id)
    }
    fn analyses_history(&mut self, protocol_id: &str, limit: u64) -> Result<Vec<Analysis>> {
        crate::store::analyses::history(self.0, protocol_id, limit)
    }
    fn analyses_latest_completed_score(
        &mut self,
        protocol_id: &str,
    ) -> Result<Option<(String, Option<f64>)>> {
        crate::store::analyses::latest_completed_score(self.0, protocol_id)
    }
    fn analyses_by_provider(&mut self, provider: &str, limit: u64) -> Result<Vec<Analysis>> {
        crate::store::analyses::by_provider(self.0, provider, limit)
    }
    fn analyses_with_suggestions(&mut self, id: &str) -> Result<(Analysis, Vec<Suggestion>)> {
        crate::store::analyses::with_suggestions(self.0, id)
    }
    fn analyses_delete(&mut self, id: &str) -> Result<()> {
        crate::store::analyses::delete(self.0, id)
    }
    fn analyses_performance_metrics(&mut self) -> Result<Vec<ProviderMetrics>> {
        crate::store::analyses::performance_metrics(self.0)
    }
    fn suggestions_insert_many(
        &mut self,
        analysis_id: &str,
        new: &[NewSuggestion],
    ) -> Result<Vec<String>> {
        crate::store::suggestions::insert_many(self.0, analysis_id, new)
    }
    fn suggestions_create(&mut self, analysis_id: &str, new: &NewSuggestion) -> Result<Suggestion> {
        crate::store::suggestions::create(self.0, analysis_id, new)
    }
    fn suggestions_find(&mut self, id: &str) -> Result<Option<Suggestion>> {
        crate::store::suggestions::find(self.0, id)
    }
    fn suggestions_get(&mut self, id: &str) -> Result<Suggestion> {
        crate::store::suggestions::get(self.0, id)
    }
    fn suggestions_list(
        &mut self,
        filter: &SuggestionFilter,
        page: Page,
    ) -> Result<Vec<Suggestion>> {
        crate::store::suggestions::list(self.0, filter, page)
    }
    fn suggestions_position(&mut self, filter: &SuggestionFilter, id: &str) -> Result<Option<u64>> {
        crate::store::suggestions::position(self.0, filter, id)
    }
    fn suggestions_for_item(
        &mut self,
        analysis_id: &str,
        reference: &str,
    ) -> Result<Option<Suggestion>> {
        crate::store::suggestions::for_item(self.0, analysis_id, reference)
    }
    fn suggestions_count(&mut self, filter: &SuggestionFilter) -> Result<u64> {
        crate::store::suggestions::count(self.0, filter)
    }
    fn suggestions_decide(
        &mut self,
        id: &str,
        decision: &Decision,
        expect: Expect,
    ) -> Result<Suggestion> {
        crate::store::suggestions::decide(self.0, id, decision, expect)
    }
    fn suggestions_successor(&mut self, id: &str) -> Result<Option<String>> {
        crate::store::suggestions::successor(self.0, id)
    }
    fn suggestions_live_for_protocol(&mut self, protocol_id: &str) -> Result<Vec<Suggestion>> {
        crate::store::suggestions::live_for_protocol(self.0, protocol_id)
    }
    fn suggestions_mark_applied(&mut self, ids: &[&str], version: i64) -> Result<()> {
        crate::store::suggestions::mark_applied(self.0, ids, version)
    }
    fn suggestions_lineage(&mut self, analysis_id: &str) -> Result<Lineage> {
        crate::store::suggestions::lineage(self.0, analysis_id)
    }
    fn suggestions_all_ids(&mut self) -> Result<Vec<String>> {
        crate::store::suggestions::all_ids(self.0)
    }
    fn suggestions_count_current(&mut self) -> Result<u64> {
        crate::store::suggestions::count_current(self.0)
    }
    fn suggestions_delete(&mut self, id: &str) -> Result<()> {
        crate::store::suggestions::delete(self.0, id)
    }
    fn versions_create_next(
        &mut self,
        protocol_id: &str,
        content: &str,
        change_summary: Option<&str>,
        created_by: Option<&str>,
    ) -> Result<ProtocolVersion> {
        crate::store::versions::create_next(
            self.0,
            protocol_id,
            content,
            change_summary,
            created_by,
        )
    }
    fn versions_create(
        &mut self,
        protocol_id: &str,
        version_number: i64,
        content: &str,
        change_summary: Option<&str>,
        created_by: Option<&str>,
    ) -> Result<ProtocolVersion> {
        crate::store::versions::create(
            self.0,
            protocol_id,
            version_number,
            content,
            change_summary,
            created_by,
        )
    }
    fn versions_get(&mut self, id: &str) -> Result<ProtocolVersion> {
        crate::store::versions::get(self.0, id)
    }
    fn versions_by_number(
        &mut self,
        protocol_id: &str,
        version_number: i64,
    ) -> Result<Option<ProtocolVersion>> {
        crate::store::versions::by_number(self.0, protocol_id, version_number)
    }
    fn versions_list(&mut self, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
        crate::store::versions::list(self.0, protocol_id)
    }
    fn versions_count(&mut self, protocol_id: &str) -> Result<u64> {
        crate::store::versions::count(self.0, protocol_id)
    }
    fn versions_delete(&mut self, id: &str) -> Result<()> {
        crate::store::versions::delete(self.0, id)
    }
    fn exports_create(&mut self, new: &NewExport) -> Result<Export> {
        crate::store::exports::create(self.0, new)
    }
    fn exports_get(&mut self, id: &str) -> Result<Export> {
        crate::store::exports::get(self.0, id)
    }
    fn exports_set_status(
        &mut self,
        id: &str,
        status: ExportStatus,
        file_size: Option<i64>,
        error_message: Option<&str>,
    ) -> Result<Export> {
        crate::store::exports::set_status(self.0, id, status, file_size, error_message)
    }
    fn exports_complete(
        &mut self,
        id: &str,
        path: &str,
        size: u64,
        sha256: &str,
    ) -> Result<Export> {
        crate::store::exports::complete(self.0, id, path, size, sha256)
    }
    fn exports_list(&mut self, protocol_id: Option<&str>, page: Page) -> Result<Vec<Export>> {
        crate::store::exports::list(self.0, protocol_id, page)
    }
    fn exports_count(&mut self, protocol_id: Option<&str>) -> Result<u64> {
        crate::store::exports::count(self.0, protocol_id)
    }
    fn exports_due_for_expiry(&mut self, now: &str) -> Result<Vec<Export>> {
        crate::store::exports::due_for_expiry(self.0, now)
    }
    fn exports_delete(&mut self, id: &str) -> Result<()> {
        crate::store::exports::delete(self.0, id)
    }
    fn stats_protocol_analytics(&mut self, days: u32) -> Result<ProtocolAnalytics> {
        crate::store::stats::protocol_analytics(self.0, days)
    }
    fn stats_review_progress(&mut self) -> Result<ReviewProgress> {
        crate::store::stats::review_progress(self.0)
    }
    fn stats_analysis_progress(&mut self, analysis_id: &str) -> Result<ReviewProgress> {
        crate::store::stats::analysis_progress(self.0, analysis_id)
    }
    fn stats_score_histogram(&mut self) -> Result<[u64; 10]> {
        crate::store::stats::score_histogram(self.0)
    }
    fn stats_dashboard(&mut self, days: u32) -> Result<Dashboard> {
        crate::store::stats::dashboard(self.0, days)
    }
    fn provider_cache_get(&mut self, key: &Key<'_>) -> Result<Option<Entry>> {
        crate::store::provider_cache::get(self.0, key)
    }
    fn provider_cache_put(&mut self, key: &Key<'_>, entry: &Entry) -> Result<()> {
        crate::store::provider_cache::put(self.0, key, entry)
    }
    fn provider_cache_count(&mut self) -> Result<u64> {
        crate::store::provider_cache::count(self.0)
    }
}

impl Tables for postgres::Transaction<'_> {
    fn protocols_create(&mut self, new: &NewProtocol) -> Result<Protocol> {
        crate::store::postgres::protocols::create(self, new)
    }
    fn protocols_find(&mut self, id: &str) -> Result<Option<Protocol>> {
        crate::store::postgres::protocols::find(self, id)
    }
    fn protocols_get(&mut self, id: &str) -> Result<Protocol> {
        crate::store::postgres::protocols::get(self, id)
    }
    fn protocols_find_by_sha256(&mut self, sha256: &str) -> Result<Option<ProtocolInfo>> {
        crate::store::postgres::protocols::find_by_sha256(self, sha256)
    }
    fn protocols_list(&mut self, filter: &ProtocolFilter, page: Page) -> Result<Vec<ProtocolInfo>> {
        crate::store::postgres::protocols::list(self, filter, page)
    }
    fn protocols_position_newest_first(&mut self, id: &str) -> Result<Option<u64>> {
        crate::store::postgres::protocols::position_newest_first(self, id)
    }
    fn protocols_count(&mut self, filter: &ProtocolFilter) -> Result<u64> {
        crate::store::postgres::protocols::count(self, filter)
    }
    fn protocols_by_status(
        &mut self,
        status: ProtocolStatus,
        limit: u64,
    ) -> Result<Vec<ProtocolInfo>> {
        crate::store::postgres::protocols::by_status(self, status, limit)
    }
    fn protocols_update(&mut self, id: &str, changes: &ProtocolUpdate) -> Result<Protocol> {
        crate::store::postgres::protocols::update(self, id, changes)
    }
    fn protocols_delete(&mut self, id: &str) -> Result<Deleted> {
        crate::store::postgres::protocols::delete(self, id)
    }
    fn analyses_create(&mut self, new: &NewAnalysis) -> Result<Analysis> {
        crate::store::postgres::analyses::create(self, new)
    }
    fn analyses_create_at(&mut self, new: &NewAnalysis, created_at: &str) -> Result<Analysis> {
        crate::store::postgres::analyses::create_at(self, new, created_at)
    }
    fn analyses_find(&mut self, id: &str) -> Result<Option<Analysis>> {
        crate::store::postgres::analyses::find(self, id)
    }
    fn analyses_get(&mut self, id: &str) -> Result<Analysis> {
        crate::store::postgres::analyses::get(self, id)
    }
    fn analyses_start(&mut self, id: &str) -> Result<Analysis> {
        crate::store::postgres::analyses::start(self, id)
    }
    fn analyses_complete(&mut self, id: &str, done: &Completion) -> Result<Analysis> {
        crate::store::postgres::analyses::complete(self, id, done)
    }
    fn analyses_fail(&mut self, id: &str, message: &str) -> Result<Analysis> {
        crate::store::postgres::analyses::fail(self, id, message)
    }
    fn analyses_record_usage(&mut self, id: &str, usage: &Usage) -> Result<()> {
        crate::store::postgres::analyses::record_usage(self, id, usage)
    }
    fn analyses_latest_completed_by(
        &mut self,
        protocol_id: &str,
        provider: &str,
    ) -> Result<Option<Analysis>> {
        crate::store::postgres::analyses::latest_completed_by(self, protocol_id, provider)
    }
    fn analyses_providers_of(&mut self, protocol_id: &str) -> Result<Vec<String>> {
        crate::store::postgres::analyses::providers_of(self, protocol_id)
    }
    fn analyses_list(&mut self, filter: &AnalysisFilter, page: Page) -> Result<Vec<Analysis>> {
        crate::store::postgres::analyses::list(self, filter, page)
    }
    fn analyses_count(&mut self, filter: &AnalysisFilter) -> Result<u64> {
        crate::store::postgres::analyses::count(self, filter)
    }
    fn analyses_resolve(&mut self, id: &str) -> Result<Option<Analysis>> {
        crate::store::postgres::analyses::resolve(self, id)
    }
    fn analyses_latest_completed(&mut self, protocol_id: &str) -> Result<Option<Analysis>> {
        crate::store::postgres::analyses::latest_completed(self, protocol_id)
    }
    fn analyses_history(&mut self, protocol_id: &str, limit: u64) -> Result<Vec<Analysis>> {
        crate::store::postgres::analyses::history(self, protocol_id, limit)
    }
    fn analyses_latest_completed_score(
        &mut self,
        protocol_id: &str,
    ) -> Result<Option<(String, Option<f64>)>> {
        crate::store::postgres::analyses::latest_completed_score(self, protocol_id)
    }
    fn analyses_by_provider(&mut self, provider: &str, limit: u64) -> Result<Vec<Analysis>> {
        crate::store::postgres::analyses::by_provider(self, provider, limit)
    }
    fn analyses_with_suggestions(&mut self, id: &str) -> Result<(Analysis, Vec<Suggestion>)> {
        crate::store::postgres::analyses::with_suggestions(self, id)
    }
    fn analyses_delete(&mut self, id: &str) -> Result<()> {
        crate::store::postgres::analyses::delete(self, id)
    }
    fn analyses_performance_metrics(&mut self) -> Result<Vec<ProviderMetrics>> {
        crate::store::postgres::analyses::performance_metrics(self)
    }
    fn suggestions_insert_many(
        &mut self,
        analysis_id: &str,
        new: &[NewSuggestion],
    ) -> Result<Vec<String>> {
        crate::store::postgres::suggestions::insert_many(self, analysis_id, new)
    }
    fn suggestions_create(&mut self, analysis_id: &str, new: &NewSuggestion) -> Result<Suggestion> {
        crate::store::postgres::suggestions::create(self, analysis_id, new)
    }
    fn suggestions_find(&mut self, id: &str) -> Result<Option<Suggestion>> {
        crate::store::postgres::suggestions::find(self, id)
    }
    fn suggestions_get(&mut self, id: &str) -> Result<Suggestion> {
        crate::store::postgres::suggestions::get(self, id)
    }
    fn suggestions_list(
        &mut self,
        filter: &SuggestionFilter,
        page: Page,
    ) -> Result<Vec<Suggestion>> {
        crate::store::postgres::suggestions::list(self, filter, page)
    }
    fn suggestions_position(&mut self, filter: &SuggestionFilter, id: &str) -> Result<Option<u64>> {
        crate::store::postgres::suggestions::position(self, filter, id)
    }
    fn suggestions_for_item(
        &mut self,
        analysis_id: &str,
        reference: &str,
    ) -> Result<Option<Suggestion>> {
        crate::store::postgres::suggestions::for_item(self, analysis_id, reference)
    }
    fn suggestions_count(&mut self, filter: &SuggestionFilter) -> Result<u64> {
        crate::store::postgres::suggestions::count(self, filter)
    }
    fn suggestions_decide(
        &mut self,
        id: &str,
        decision: &Decision,
        expect: Expect,
    ) -> Result<Suggestion> {
        crate::store::postgres::suggestions::decide(self, id, decision, expect)
    }
    fn suggestions_successor(&mut self, id: &str) -> Result<Option<String>> {
        crate::store::postgres::suggestions::successor(self, id)
    }
    fn suggestions_live_for_protocol(&mut self, protocol_id: &str) -> Result<Vec<Suggestion>> {
        crate::store::postgres::suggestions::live_for_protocol(self, protocol_id)
    }
    fn suggestions_mark_applied(&mut self, ids: &[&str], version: i64) -> Result<()> {
        crate::store::postgres::suggestions::mark_applied(self, ids, version)
    }
    fn suggestions_lineage(&mut self, analysis_id: &str) -> Result<Lineage> {
        crate::store::postgres::suggestions::lineage(self, analysis_id)
    }
    fn suggestions_all_ids(&mut self) -> Result<Vec<String>> {
        crate::store::postgres::suggestions::all_ids(self)
    }
    fn suggestions_count_current(&mut self) -> Result<u64> {
        crate::store::postgres::suggestions::count_current(self)
    }
    fn suggestions_delete(&mut self, id: &str) -> Result<()> {
        crate::store::postgres::suggestions::delete(self, id)
    }
    fn versions_create_next(
        &mut self,
        protocol_id: &str,
        content: &str,
        change_summary: Option<&str>,
        created_by: Option<&str>,
    ) -> Result<ProtocolVersion> {
        crate::store::postgres::versions::create_next(
            self,
            protocol_id,
            content,
            change_summary,
            created_by,
        )
    }
    fn versions_create(
        &mut self,
        protocol_id: &str,
        version_number: i64,
        content: &str,
        change_summary: Option<&str>,
        created_by: Option<&str>,
    ) -> Result<ProtocolVersion> {
        crate::store::postgres::versions::create(
            self,
            protocol_id,
            version_number,
            content,
            change_summary,
            created_by,
        )
    }
    fn versions_get(&mut self, id: &str) -> Result<ProtocolVersion> {
        crate::store::postgres::versions::get(self, id)
    }
    fn versions_by_number(
        &mut self,
        protocol_id: &str,
        version_number: i64,
    ) -> Result<Option<ProtocolVersion>> {
        crate::store::postgres::versions::by_number(self, protocol_id, version_number)
    }
    fn versions_list(&mut self, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
        crate::store::postgres::versions::list(self, protocol_id)
    }
    fn versions_count(&mut self, protocol_id: &str) -> Result<u64> {
        crate::store::postgres::versions::count(self, protocol_id)
    }
    fn versions_delete(&mut self, id: &str) -> Result<()> {
        crate::store::postgres::versions::delete(self, id)
    }
    fn exports_create(&mut self, new: &NewExport) -> Result<Export> {
        crate::store::postgres::exports::create(self, new)
    }
    fn exports_get(&mut self, id: &str) -> Result<Export> {
        crate::store::postgres::exports::get(self, id)
    }
    fn exports_set_status(
        &mut self,
        id: &str,
        status: ExportStatus,
        file_size: Option<i64>,
        error_message: Option<&str>,
    ) -> Result<Export> {
        crate::store::postgres::exports::set_status(self, id, status, file_size, error_message)
    }
    fn exports_complete(
        &mut self,
        id: &str,
        path: &str,
        size: u64,
        sha256: &str,
    ) -> Result<Export> {
        crate::store::postgres::exports::complete(self, id, path, size, sha256)
    }
    fn exports_list(&mut self, protocol_id: Option<&str>, page: Page) -> Result<Vec<Export>> {
        crate::store::postgres::exports::list(self, protocol_id, page)
    }
    fn exports_count(&mut self, protocol_id: Option<&str>) -> Result<u64> {
        crate::store::postgres::exports::count(self, protocol_id)
    }
    fn exports_due_for_expiry(&mut self, now: &str) -> Result<Vec<Export>> {
        crate::store::postgres::exports::due_for_expiry(self, now)
    }
    fn exports_delete(&mut self, id: &str) -> Result<()> {
        crate::store::postgres::exports::delete(self, id)
    }
    fn stats_protocol_analytics(&mut self, days: u32) -> Result<ProtocolAnalytics> {
        crate::store::postgres::stats::protocol_analytics(self, days)
    }
    fn stats_review_progress(&mut self) -> Result<ReviewProgress> {
        crate::store::postgres::stats::review_progress(self)
    }
    fn stats_analysis_progress(&mut self, analysis_id: &str) -> Result<ReviewProgress> {
        crate::store::postgres::stats::analysis_progress(self, analysis_id)
    }
    fn stats_score_histogram(&mut self) -> Result<[u64; 10]> {
        crate::store::postgres::stats::score_histogram(self)
    }
    fn stats_dashboard(&mut self, days: u32) -> Result<Dashboard> {
        crate::store::postgres::stats::dashboard(self, days)
    }
    fn provider_cache_get(&mut self, key: &Key<'_>) -> Result<Option<Entry>> {
        crate::store::postgres::provider_cache::get(self, key)
    }
    fn provider_cache_put(&mut self, key: &Key<'_>, entry: &Entry) -> Result<()> {
        crate::store::postgres::provider_cache::put(self, key, entry)
    }
    fn provider_cache_count(&mut self) -> Result<u64> {
        crate::store::postgres::provider_cache::count(self)
    }
}
