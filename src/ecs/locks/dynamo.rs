//! The lock table on DynamoDB: conditional UpdateItem and DeleteItem, one
//! strongly consistent Scan, and `lock-table create`.

use super::{Claim, LeaseRecord, LockTable, Tenure, seconds, unix_now};
use crate::ecs::calls::CallCounter;
use crate::ecs::credentials::CredentialSource;
use crate::ecs::error::AwsError;
use crate::ecs::session::{client_for, counting, shared_config};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The real table, on `aws-sdk-dynamodb` with the standard AWS config.
#[derive(Clone)]
pub struct DynamoLockTable {
    client: Client,
    table: String,
    region: Option<String>,
    calls: Arc<CallCounter>,
    credentials: Arc<CredentialSource>,
}

/// The attribute names and the key.
const ID: &str = "id";
const HOLDER: &str = "holder";
const EXPIRES: &str = "expires";
const FENCE: &str = "fence";
/// The condition of a renewal and a release: our tenure, not a successor's.
const STILL_OURS: &str = "#holder = :me AND #fence = :fence";

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// An item as a record (None when it is not a lease).
fn record(item: &HashMap<String, AttributeValue>) -> Option<LeaseRecord> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    let number = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok())
    };
    Some(LeaseRecord {
        id: text(ID)?,
        holder: text(HOLDER)?,
        expires: number(EXPIRES)?,
        fence: number(FENCE).unwrap_or(0),
    })
}

/// What `lock-table create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new table.
    Created,
    /// It was there already (its key and TTL checked).
    Existed,
}

impl DynamoLockTable {
    /// A client of `table` in the AWS config's region (or `region`).
    pub async fn connect(table: &str, region: Option<&str>) -> Result<DynamoLockTable, AwsError> {
        let (shared, credentials) =
            shared_config(&super::super::session::Reach::region(region)).await?;
        let region = shared.region().map(|r| r.to_string());
        if region.is_none() {
            return Err(AwsError::NoRegion);
        }
        let calls = Arc::new(CallCounter::default());
        let client = client_for!(
            aws_sdk_dynamodb,
            &shared,
            None::<&str>,
            counting(calls.clone())
        );
        Ok(DynamoLockTable {
            client,
            table: table.to_owned(),
            region,
            calls,
            credentials,
        })
    }

    /// Our error for an SDK error: a missing table says how to create it.
    fn error<E, R>(&self, operation: &'static str, error: SdkError<E, R>) -> AwsError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        R: std::fmt::Debug + crate::ecs::error::HttpStatus + Send + Sync + 'static,
    {
        use aws_sdk_dynamodb::error::ProvideErrorMetadata;
        if error.code() == Some("ResourceNotFoundException") {
            return AwsError::LockTableMissing {
                table: self.table.clone(),
                region: self.region.clone(),
            };
        }
        AwsError::from_sdk(operation, error, &self.credentials)
    }

    /// Create the table (on-demand capacity, key `id`, TTL on `expires`), or
    /// check the one that is there; waits until it is ACTIVE.
    pub async fn create(&self) -> Result<Created, AwsError> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
            TimeToLiveSpecification,
        };
        let key = KeySchemaElement::builder()
            .attribute_name(ID)
            .key_type(KeyType::Hash)
            .build()
            .expect("key schema is complete");
        let attribute = AttributeDefinition::builder()
            .attribute_name(ID)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute definition is complete");
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key)
            .attribute_definitions(attribute)
            .send()
            .await;
        let outcome = match created {
            Ok(_) => Created::Created,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                Created::Existed
            }
            Err(e) => return Err(self.error("CreateTable", e)),
        };
        self.wait_active().await?;
        let ttl = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| self.error("DescribeTimeToLive", e))?;
        let description = ttl.time_to_live_description();
        let on = description.and_then(|d| d.attribute_name()) == Some(EXPIRES)
            && description
                .and_then(|d| d.time_to_live_status())
                .is_some_and(|s| s.as_str() == "ENABLED" || s.as_str() == "ENABLING");
        if !on {
            let spec = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(EXPIRES)
                .build()
                .expect("TTL specification is complete");
            self.client
                .update_time_to_live()
                .table_name(&self.table)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(|e| self.error("UpdateTimeToLive", e))?;
        }
        Ok(outcome)
    }

    /// Poll DescribeTable until the table is ACTIVE; check its key is `id` (S).
    async fn wait_active(&self) -> Result<(), AwsError> {
        for _ in 0..120 {
            let out = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| self.error("DescribeTable", e))?;
            let Some(table) = out.table() else { break };
            let keys: Vec<(&str, &str)> = table
                .key_schema()
                .iter()
                .map(|k| (k.attribute_name(), k.key_type().as_str()))
                .collect();
            let id_is_string = table
                .attribute_definitions()
                .iter()
                .any(|a| a.attribute_name() == ID && a.attribute_type().as_str() == "S");
            if keys != [(ID, "HASH")] || !id_is_string {
                return Err(AwsError::NotALockTable {
                    table: self.table.clone(),
                    detail: format!(
                        "its key is {}, not a string partition key `id`",
                        keys.iter()
                            .map(|(name, kind)| format!("{name} ({kind})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            if table.table_status().is_some_and(|s| s.as_str() == "ACTIVE") {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(AwsError::NotALockTable {
            table: self.table.clone(),
            detail: "it did not become ACTIVE within two minutes".into(),
        })
    }

    async fn acquire_item(&self, id: &str, holder: &str, ttl: Duration) -> Result<Claim, AwsError> {
        use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
        let now = unix_now();
        let answer = self
            .write_as(id, holder, now + seconds(ttl))
            .condition_expression(
                "attribute_not_exists(#holder) OR #expires < :now OR #holder = :me",
            )
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match answer {
            Ok(out) => {
                let fence = out
                    .attributes()
                    .and_then(record)
                    .map_or(1, |record| record.fence);
                Ok(Claim::Granted { fence })
            }
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(refused)) => {
                    let current = refused.item().and_then(record).unwrap_or(LeaseRecord {
                        id: id.to_owned(),
                        holder: "another deckhand".into(),
                        expires: now,
                        fence: 0,
                    });
                    Ok(Claim::Refused(current))
                }
                _ => Err(self.error("UpdateItem", e)),
            },
        }
    }

    async fn renew_item(&self, tenure: Tenure<'_>, ttl: Duration) -> Result<bool, AwsError> {
        let Tenure { id, holder, fence } = tenure;
        let answer = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(ID, s(id))
            .update_expression("SET #expires = :expires")
            .condition_expression(STILL_OURS)
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#expires", EXPIRES)
            .expression_attribute_names("#fence", FENCE)
            .expression_attribute_values(":me", s(holder))
            .expression_attribute_values(":fence", n(fence))
            .expression_attribute_values(":expires", n(unix_now() + seconds(ttl)))
            .send()
            .await;
        match answer {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.error("UpdateItem", e)),
        }
    }

    async fn release_item(&self, tenure: Tenure<'_>) -> Result<(), AwsError> {
        let Tenure { id, holder, fence } = tenure;
        let answer = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(ID, s(id))
            .condition_expression(STILL_OURS)
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#fence", FENCE)
            .expression_attribute_values(":me", s(holder))
            .expression_attribute_values(":fence", n(fence))
            .send()
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(self.error("DeleteItem", e)),
        }
    }

    /// An UpdateItem writing `id` as `holder`'s until `expires`, one more on
    /// its fence (conditions are the caller's).
    fn write_as(
        &self,
        id: &str,
        holder: &str,
        expires: u64,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(ID, s(id))
            .update_expression("SET #holder = :me, #expires = :expires ADD #fence :one")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#expires", EXPIRES)
            .expression_attribute_names("#fence", FENCE)
            .expression_attribute_values(":me", s(holder))
            .expression_attribute_values(":expires", n(expires))
            .expression_attribute_values(":one", n(1))
    }

    async fn announce_item(&self, id: &str, holder: &str, ttl: Duration) -> Result<(), AwsError> {
        self.write_as(id, holder, unix_now() + seconds(ttl))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.error("UpdateItem", e))
    }

    async fn scan(&self) -> Result<Vec<LeaseRecord>, AwsError> {
        let mut records = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.error("Scan", e))?;
            records.extend(out.items().iter().filter_map(record));
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        Ok(records)
    }
}

impl LockTable for DynamoLockTable {
    fn name(&self) -> &str {
        &self.table
    }

    fn calls(&self) -> Arc<CallCounter> {
        self.calls.clone()
    }

    fn now(&self) -> u64 {
        unix_now()
    }

    fn acquire<'a>(
        &'a self,
        id: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, AwsError>> {
        Box::pin(self.acquire_item(id, holder, ttl))
    }

    fn renew<'a>(
        &'a self,
        tenure: Tenure<'a>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AwsError>> {
        Box::pin(self.renew_item(tenure, ttl))
    }

    fn release<'a>(&'a self, tenure: Tenure<'a>) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(self.release_item(tenure))
    }

    fn announce<'a>(
        &'a self,
        id: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(self.announce_item(id, holder, ttl))
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<LeaseRecord>, AwsError>> {
        Box::pin(self.scan())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::locks::MemoryLockTable;

    /// `holder`'s tenure `fence` of `env/a`.
    fn a_tenure(holder: &str, fence: u64) -> Tenure<'_> {
        Tenure {
            id: "env/a",
            holder,
            fence,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_holder_at_a_time_until_expiry_and_fences_grow() {
        let table = MemoryLockTable::default();
        let ttl = Duration::from_secs(10);
        assert_eq!(
            table.acquire("env/a", "A", ttl).await.unwrap(),
            Claim::Granted { fence: 1 }
        );
        let Claim::Refused(held) = table.acquire("env/a", "B", ttl).await.unwrap() else {
            panic!("B must be refused while A holds the lease");
        };
        assert_eq!(held.holder, "A");
        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!(
            table.acquire("env/a", "B", ttl).await.unwrap(),
            Claim::Granted { fence: 2 }
        );
        // A's tenure is over: it can neither renew nor release B's lease.
        assert!(!table.renew(a_tenure("A", 1), ttl).await.unwrap());
        table.release(a_tenure("A", 1)).await.unwrap();
        assert_eq!(table.records()[0].holder, "B");
        assert!(table.renew(a_tenure("B", 2), ttl).await.unwrap());
        table.release(a_tenure("B", 2)).await.unwrap();
        assert!(table.records().is_empty());
    }

    #[test]
    fn items_become_records() {
        let item: HashMap<String, AttributeValue> = [
            (ID.to_owned(), s("shard/7")),
            (HOLDER.to_owned(), s("h:1:a")),
            (EXPIRES.to_owned(), n(1_700_000_000)),
            (FENCE.to_owned(), n(3)),
        ]
        .into();
        assert_eq!(
            record(&item),
            Some(LeaseRecord {
                id: "shard/7".into(),
                holder: "h:1:a".into(),
                expires: 1_700_000_000,
                fence: 3
            })
        );
        let mut broken = item.clone();
        broken.remove(HOLDER);
        assert_eq!(record(&broken), None);
    }
}
