#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    urlrequest_core_fuzz::check_response(data);
});
