<?php
// custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
//
// opcache's preload script for PHP-FPM (README, "Deploying under PHP-FPM"):
//
//   opcache.enable=1
//   opcache.preload=/path/to/vendor/custauth/custauth/preload.php
//   opcache.preload_user=www-data        ; when the master runs as root
//   ffi.enable=preload                   ; Debian's default
//
// It runs once, in the FPM master before the workers fork: it loads custauth.h's declarations
// and libcustauth.so (FFI::load: the FFI_SCOPE "CUSTAUTH" that Custauth::ffi() finds with
// FFI::scope in every request) and compiles the package's classes into opcache. It opens no
// handle: handles are opened in the requests, in the workers, after fork().
// $CUSTAUTH_LIBRARY (in the master's environment), when set, is the library's path.
declare(strict_types=1);

(static function (): void {
    $header = __DIR__ . '/custauth.h';
    $lib = getenv('CUSTAUTH_LIBRARY');
    if ($lib !== false && $lib !== '') {
        $text = (string) file_get_contents($header);
        $text = str_replace('#define FFI_LIB "libcustauth.so"',
                            '#define FFI_LIB ' . json_encode($lib, JSON_UNESCAPED_SLASHES), $text);
        $header = tempnam(sys_get_temp_dir(), 'custauth-ffi-');
        file_put_contents($header, $text);
    }
    try {
        if (\FFI::load($header) === null) {
            throw new \RuntimeException("custauth preload: FFI::load($header) failed");
        }
    } finally {
        if ($header !== __DIR__ . '/custauth.h') {
            unlink($header);
        }
    }
    // Through the autoloader, so that each parent class is preloaded before its subclasses.
    require_once __DIR__ . '/autoload.php';
    foreach (glob(__DIR__ . '/src/*.php') as $file) {
        class_exists('Custauth\\' . basename($file, '.php'));
    }
})();
